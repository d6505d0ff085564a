/**
 * Checks a path a client sends (a runner, a system) before the agent runs or records it: it must
 * be absolute, inside a store object of the agent's Nix store, normalised, and exist. Clients
 * can then only start programs Nix put on this host, never an arbitrary file.
 */
import { existsSync } from "node:fs";
import { isInside } from "./agent-api.ts";

/**
 * Why `path` is not an acceptable store path under `storeDir`, or null when it is. With a null
 * `storeDir` (the local supervisor, whose one client is its own user) any absolute path will do
 * and need not exist yet: a runner that is missing fails its start with its own message.
 *
 * @example
 * storePathProblem("/nix/store/abc-run/bin/run-web-vm", "/nix/store") // => null (when it exists)
 * storePathProblem("bin/run", "/nix/store") // => "must be an absolute path under /nix/store, got bin/run"
 */
export function storePathProblem(path: string, storeDir: string | null): string | null {
  if (storeDir === null) {
    const normalised = path.startsWith("/") && !path.split("/").some((s) => s === "." || s === "..");
    return normalised ? null : `must be an absolute, normalised path, got ${path}`;
  }
  if (!isInside(path, storeDir)) return `must be an absolute path under ${storeDir}, got ${path}`;
  if (!existsSync(path)) return `${path} does not exist on the agent's host; copy the closure there first`;
  return null;
}
