/**
 * Project scaffolding for `nohead init`: copies the template (nix/template) and every example
 * into a directory, never overwriting a file that is already there.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { NOHEAD_ROOT } from "./expressions.ts";

/** Template files whose name in the project differs (dot files are awkward in the source tree). */
const RENAMES: Record<string, string> = { gitignore: ".gitignore" };

export interface ScaffoldResult {
  /** Files written, relative to the project directory. */
  created: string[];
  /** Files left alone because they already existed. */
  kept: string[];
}

/**
 * Creates a project in `dir` from the template and the examples.
 *
 * @example
 * const { created, kept } = scaffoldProject("my-vms");
 * // created: ["flake.nix", "configs.nix", ".gitignore", "secrets/README.md", "examples/…", …]
 */
export function scaffoldProject(dir: string, root: string = NOHEAD_ROOT): ScaffoldResult {
  const result: ScaffoldResult = { created: [], kept: [] };
  copyTree(join(root, "nix/template"), dir, dir, result);
  copyTree(join(root, "examples"), join(dir, "examples"), dir, result);
  return result;
}

function copyTree(from: string, to: string, projectDir: string, result: ScaffoldResult): void {
  for (const entry of readdirSync(from).sort()) {
    const source = join(from, entry);
    const target = join(to, RENAMES[entry] ?? entry);
    if (statSync(source).isDirectory()) {
      copyTree(source, target, projectDir, result);
      continue;
    }
    const name = relative(projectDir, target);
    if (existsSync(target)) {
      result.kept.push(name);
      continue;
    }
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(source, target);
    result.created.push(name);
  }
}
