/**
 * Checks the paths a client sends (runners, systems) before the agent runs or records them. A
 * path must be absolute, normalised and inside a store object of the agent's Nix store
 * (`<storeDir>/<hash>-<name>/…`); it is resolved (`realpath`) and must still be inside a store
 * object; both store objects must be valid — Nix registered them, so they are immutable and not
 * a lookalike directory or a symlink someone left to a file outside the store. With a
 * {@link RunnerTrust}, their closures must also be built here or signed by a trusted key.
 */
import { realpathSync } from "node:fs";
import { isInside } from "./agent-api.ts";
import { invalidStorePaths } from "./nix-store-query.ts";
import type { RunnerTrust } from "./runner-trust.ts";

/** A store object's name: Nix's 32-character base32 hash, a dash, a name. */
export const STORE_OBJECT_NAME = /^[0-9a-df-np-sv-z]{32}-[A-Za-z0-9+\-._?=]+$/;

export interface StorePathOptions {
  /** The Nix store directory (default /nix/store); null: any absolute, normalised path. */
  storeDir: string | null;
  /** The operator's stricter rule, when set: only built or signed closures. */
  trust?: RunnerTrust | null;
}

/** The store object `path` is in (`<storeDir>/<hash>-<name>`), or null when it is in none. */
function storeObjectOf(path: string, storeDir: string): string | null {
  if (!isInside(path, storeDir)) return null;
  const [first = ""] = path.slice(storeDir.length + 1).split("/");
  return STORE_OBJECT_NAME.test(first) ? `${storeDir}/${first}` : null;
}

/**
 * Why each of `paths` is not acceptable (null when it is), in order. With a null `storeDir` (the
 * project's supervisor, whose one client is its own user) any absolute, normalised path will do
 * and need not exist yet: a runner that is missing fails its start with its own message.
 *
 * @example
 * await storePathProblems(["/nix/store/…-run-web/bin/run", "/usr/bin/env"], { storeDir: "/nix/store" })
 * // => [null, "must be an absolute path inside a store object of /nix/store, got /usr/bin/env"]
 */
export async function storePathProblems(
  paths: string[],
  { storeDir, trust = null }: StorePathOptions,
): Promise<(string | null)[]> {
  if (storeDir === null) return paths.map(normalisedPathProblem);
  let realStore: string;
  try {
    realStore = realpathSync(storeDir);
  } catch {
    return paths.map(() => `the agent's store directory ${storeDir} does not exist`);
  }
  const objects: string[][] = [];
  const problems = paths.map((path, i): string | null => {
    const object = storeObjectOf(path, storeDir);
    if (!object) return `must be an absolute path inside a store object of ${storeDir}, got ${path}`;
    let resolved: string;
    try {
      resolved = realpathSync(path);
    } catch {
      return `${path} does not exist on the agent's host; copy the closure there first`;
    }
    const relative = resolved.startsWith(`${realStore}/`) ? resolved.slice(realStore.length) : null;
    const resolvedObject = relative === null ? null : storeObjectOf(`${storeDir}${relative}`, storeDir);
    if (!resolvedObject) return `${path} resolves to ${resolved}, which is not inside a store object`;
    objects[i] = [object, resolvedObject];
    return null;
  });
  const invalid = new Set(await invalidStorePaths([...new Set(objects.flat())]));
  const untrusted = trust
    ? await trust.problems([...new Set(objects.flat())].filter((o) => !invalid.has(o)))
    : new Map<string, string>();
  return problems.map((problem, i) => {
    if (problem) return problem;
    for (const object of objects[i] ?? []) {
      if (invalid.has(object)) {
        return `${object} is not a valid store path (Nix has not registered it); copy the closure with \`nix copy\``;
      }
      const why = untrusted.get(object);
      if (why) return why;
    }
    return null;
  });
}

function normalisedPathProblem(path: string): string | null {
  const normalised = path.startsWith("/") && !path.split("/").some((s) => s === "." || s === "..");
  return normalised ? null : `must be an absolute, normalised path, got ${path}`;
}
