/** `nohead init [dir]`: a new project from the template and every example; never overwrites. */
import { resolve } from "node:path";
import { noheadFlakeRef, scaffoldProject } from "@nohead/nixgen";
import pc from "picocolors";

export async function run([dir]: unknown[]): Promise<number> {
  const target = resolve(process.cwd(), String(dir));
  const flakeRef = noheadFlakeRef();
  const { created, kept } = scaffoldProject(target, { flakeRef });
  process.stdout.write(`${pc.green("created")} ${created.length} file(s) in ${target}\n`);
  for (const file of kept)
    process.stdout.write(`${pc.yellow("kept")}    ${file} (already exists, not overwritten)\n`);
  if (created.includes("flake.nix")) process.stdout.write(`flake.nix's nohead input: ${flakeRef}\n`);
  process.stdout.write(
    `\nNext:\n  cd ${dir}\n  nohead plan                  # machines and ports: no build, no nixpkgs, offline\n  nohead build                 # builds flake.nix's default (Nix fetches nixpkgs the first time)\n  nohead runall                # start every VM and wait until ready\n  nohead doctor                # when something fails: checks KVM, QEMU, Nix, nixpkgs, …\n\nInside a git repository, \`git add\` the project first (flakes only see tracked files),\nor use \`nohead build -f configs.nix\`, which needs no flake and no git.\n`,
  );
  return 0;
}
