/**
 * Project scaffolding for `nohead init`: copies the template (nix/template) and every example
 * into a directory, never overwriting a file that is already there. The template's flake gets
 * the flake reference of the nohead that runs as its `nohead` input, so the project works unedited.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative } from "node:path";
import { NOHEAD_ROOT } from "./expressions.ts";
import { NOHEAD_FLAKE_REF_TOKEN } from "./nohead-flake-ref.ts";
import { toNix } from "./to-nix.ts";

/** Template files whose name in the project differs (dot files are awkward in the source tree). */
const RENAMES: Record<string, string> = { gitignore: ".gitignore" };

export interface ScaffoldResult {
  /** Files written, relative to the project directory. */
  created: string[];
  /** Files left alone because they already existed. */
  kept: string[];
}

/**
 * Creates a project in `dir` from the template and the examples; `flakeRef` replaces the quoted
 * `"@NOHEAD_FLAKE_REF@"` in the template's files (the flake's `nohead` input).
 *
 * @example
 * const { created, kept } = scaffoldProject("my-vms", { flakeRef: "git+file:/home/me/nohead" });
 * // created: ["flake.nix", "configs.nix", ".gitignore", "secrets/README.md", "examples/…", …]
 */
export function scaffoldProject(
  dir: string,
  { flakeRef, root = NOHEAD_ROOT }: { flakeRef: string; root?: string },
): ScaffoldResult {
  const result: ScaffoldResult = { created: [], kept: [] };
  const quotedToken = JSON.stringify(NOHEAD_FLAKE_REF_TOKEN);
  copyTree(join(root, "nix/template"), dir, dir, result, (text) =>
    text.replaceAll(quotedToken, toNix(flakeRef)),
  );
  copyTree(join(root, "examples"), join(dir, "examples"), dir, result);
  return result;
}

function copyTree(
  from: string,
  to: string,
  projectDir: string,
  result: ScaffoldResult,
  substitute?: (text: string) => string,
): void {
  for (const entry of readdirSync(from).sort()) {
    const source = join(from, entry);
    const target = join(to, RENAMES[entry] ?? entry);
    if (statSync(source).isDirectory()) {
      copyTree(source, target, projectDir, result, substitute);
      continue;
    }
    const name = relative(projectDir, target);
    if (existsSync(target)) {
      result.kept.push(name);
      continue;
    }
    mkdirSync(dirname(target), { recursive: true });
    if (substitute) writeFileSync(target, substitute(readFileSync(source, "utf8")));
    else copyFileSync(source, target);
    result.created.push(name);
  }
}
