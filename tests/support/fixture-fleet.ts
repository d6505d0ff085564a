/**
 * A build result made of fixture VMs: a configs.nix is planned by the real nix/lib, each machine
 * type gets one fixture runner (tests/fixture) honouring Contract 2 for all its instances — the
 * runtime gives each its identity, as with a NixOS runner — and the manifest is computed by
 * nix/lib's `manifestOf`, exactly the Nix code a real build uses, and written where a build would
 * put it. Stands in for `nohead build` where nixpkgs is not available.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Manifest, type PlannedMachine } from "@nohead/schema";
import { writeFixtureRunner } from "../fixture/write-fixture-runner.ts";
import { REPO_ROOT } from "./run-cli.ts";
import { testTempDir } from "./temp-dir.ts";

export interface FixtureFleet {
  /** The project directory (holds configs.nix and, once started, .nohead/). */
  projectDir: string;
  /** The build result (holds nohead-manifest.json), `<projectDir>/result`. */
  resultDir: string;
  manifest: Manifest;
}

async function evalJson(expression: string): Promise<unknown> {
  const child = Bun.spawn(["nix-instantiate", "--eval", "--strict", "--json", "-E", expression], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  if (code !== 0) throw new Error(`nix-instantiate failed: ${err}`);
  return JSON.parse(out);
}

/**
 * Builds a fixture fleet from `configs` (the body of a configs.nix: `{ pkgs, ... }: { … }`).
 *
 * @example
 * const fleet = await makeFixtureFleet(`{ ... }: { web = { count = 2; }; }`);
 * // fleet.resultDir/nohead-manifest.json lists web-1 and web-2, sharing one fixture runner
 */
export async function makeFixtureFleet(
  configs: string,
  { projectDir }: { projectDir?: string } = {},
): Promise<FixtureFleet> {
  const dir = projectDir ?? testTempDir("nohead-fleet-");
  const resultDir = join(dir, "result");
  mkdirSync(join(resultDir, "runners"), { recursive: true });
  writeFileSync(join(dir, "configs.nix"), configs);
  const lib = join(REPO_ROOT, "nix/lib");
  const configsExpr = `import ${join(dir, "configs.nix")} { pkgs = throw "no pkgs in the fixture fleet"; customArgs = { }; }`;
  const plan = (await evalJson(`(import ${lib}).planOf (${configsExpr})`)) as { machines: PlannedMachine[] };
  const hosts = plan.machines.flatMap((m) =>
    m.network ? [{ name: m.name, address: m.network.address }] : [],
  );
  // What writeFixtureRunner gives QEMU by default (-smp 1, -m 256), as a real build records it.
  const resources = { cores: 1, memoryMiB: 256 };
  const runners: Record<string, { runner: string; system: string; resources: typeof resources }> = {};
  for (const m of plan.machines) {
    if (runners[m.baseName]) continue;
    const runnerDir = join(resultDir, "runners", m.baseName);
    const runner = await writeFixtureRunner({ dir: runnerDir, name: m.baseName, user: m.username, hosts });
    runners[m.baseName] = { runner, system: runnerDir, resources };
  }
  const manifest = await evalJson(
    `let lib = import ${lib}; in lib.manifestOf { machines = lib.machinesOf (${configsExpr}); runners = builtins.fromJSON ${JSON.stringify(JSON.stringify(runners))}; }`,
  );
  writeFileSync(join(resultDir, "nohead-manifest.json"), JSON.stringify(manifest, null, 2));
  return { projectDir: dir, resultDir, manifest: Manifest.parse(manifest) };
}
