/**
 * Checks a path a client sends (a runner, a system) before the agent runs or records it: it must
 * be absolute, inside a store object of the agent's Nix store, normalised, and exist. Clients
 * can then only start programs Nix put on this host, never an arbitrary file.
 */
import { existsSync } from "node:fs";
import { isInside } from "./agent-api.ts";

/**
 * Why `path` is not an acceptable store path under `storeDir` (null: anywhere, for the local
 * supervisor), or null when it is.
 *
 * @example
 * storePathProblem("/nix/store/abc-run/bin/run-web-vm", "/nix/store") // => null (when it exists)
 * storePathProblem("bin/run", "/nix/store") // => "must be an absolute path under /nix/store, got bin/run"
 */
export function storePathProblem(path: string, storeDir: string | null): string | null {
  if (storeDir === null) {
    if (!path.startsWith("/") || path.split("/").some((s) => s === "." || s === ".."))
      return `must be an absolute, normalised path, got ${path}`;
  } else if (!isInside(path, storeDir)) return `must be an absolute path under ${storeDir}, got ${path}`;
  if (!existsSync(path)) return `${path} does not exist on the agent's host; copy the closure there first`;
  return null;
}
