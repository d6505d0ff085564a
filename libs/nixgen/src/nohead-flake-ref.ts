/**
 * The flake reference of the nohead that is running, for the `nohead` input of a project that
 * `nohead init` writes: the packaged source when the CLI came from the flake, else this checkout.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { NOHEAD_ROOT } from "./expressions.ts";

/** The token in nix/template/flake.nix that `nohead init` replaces with {@link noheadFlakeRef}. */
export const NOHEAD_FLAKE_REF_TOKEN = "@NOHEAD_FLAKE_REF@";

/**
 * `path:<NOHEAD_SOURCE>` for the packaged CLI (its wrapper names the flake source it was built
 * from, a store path); in a checkout, `git+file:<root>` (Nix copies the tracked files only, not
 * node_modules, and takes uncommitted changes of tracked files), or `path:<root>` outside git.
 *
 * @example
 * noheadFlakeRef({ NOHEAD_SOURCE: "/nix/store/abc-source" }) // => "path:/nix/store/abc-source"
 * noheadFlakeRef({}, "/home/me/nohead")                       // => "git+file:/home/me/nohead" (a git checkout)
 */
export function noheadFlakeRef(
  env: Record<string, string | undefined> = process.env,
  root: string = NOHEAD_ROOT,
): string {
  if (env.NOHEAD_SOURCE) return `path:${encodeURI(env.NOHEAD_SOURCE)}`;
  // `.git` is a directory in a clone and a file in a `git worktree`: both are git checkouts.
  return existsSync(join(root, ".git")) ? `git+file:${encodeURI(root)}` : `path:${encodeURI(root)}`;
}
