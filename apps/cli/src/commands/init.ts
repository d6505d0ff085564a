/** `nohead init [dir]`: a new project from the template and every example; never overwrites. */
import { resolve } from "node:path";
import { scaffoldProject } from "@nohead/nixgen";
import pc from "picocolors";

export async function run([dir]: unknown[]): Promise<number> {
  const target = resolve(process.cwd(), String(dir));
  const { created, kept } = scaffoldProject(target);
  process.stdout.write(`${pc.green("created")} ${created.length} file(s) in ${target}\n`);
  for (const file of kept)
    process.stdout.write(`${pc.yellow("kept")}    ${file} (already exists, not overwritten)\n`);
  process.stdout.write(
    `\nNext:\n  cd ${dir}\n  nohead plan            # machines and ports, no build\n  nohead build           # needs Nix with nixpkgs\n  nohead runall          # start every VM and wait until ready\n\nAdd the directory to git if it is inside a git repository (flakes only see tracked files),\nor use \`nohead build -f configs.nix\`, which needs no git.\n`,
  );
  return 0;
}
