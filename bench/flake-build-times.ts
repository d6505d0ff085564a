/**
 * Evaluation and build time of a configs.nix through the nixpkgs-free test flake
 * (tests/fixtures/build-flake, nix/lib's real mkFleet): `nix eval` of `nohead.drvPaths` (every
 * machine's runner derivation: the evaluation `nohead build` starts with), then `nix build` of
 * the result (evaluation again, every runner, the manifest). Each repetition uses a fresh copy
 * of the flake with a new nonce, so Nix reuses no earlier output or evaluation cache.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeBuildFlake } from "../tests/support/build-flake.ts";
import { runMeasured } from "./run-measured.ts";

export interface FlakeBuildTimes {
  evalMs: number[];
  buildMs: number[];
  /** Distinct runner derivations the evaluation returned (one per machine type). */
  runners: number;
  machines: number;
}

async function timed(argv: string[], cwd: string): Promise<{ ms: number; stdout: string }> {
  const run = await runMeasured(argv, { cwd, timeoutMs: 900_000 });
  if (run.exitCode !== 0)
    throw new Error(`${argv.join(" ")} failed (${run.exitCode}): ${run.stderr.slice(-800)}`);
  return { ms: run.wallMs, stdout: run.stdout };
}

/**
 * Times `reps` evaluations and builds of `configs` (a configs.nix body).
 *
 * @example
 * const times = await flakeBuildTimes("{ ... }: { vm = { count = 100; }; }", 3);
 * // times.runners === 1, times.machines === 100
 */
export async function flakeBuildTimes(configs: string, reps: number): Promise<FlakeBuildTimes> {
  const times: FlakeBuildTimes = { evalMs: [], buildMs: [], runners: 0, machines: 0 };
  for (let rep = 0; rep < reps; rep++) {
    const flake = makeBuildFlake();
    writeFileSync(join(flake, "configs.nix"), configs);
    const installable = `path:${flake}#default`;
    const evaluated = await timed(["nix", "eval", "--json", `${installable}.nohead.drvPaths`], flake);
    const drvPaths = JSON.parse(evaluated.stdout) as Record<string, string>;
    times.evalMs.push(evaluated.ms);
    times.machines = Object.keys(drvPaths).length;
    times.runners = new Set(Object.values(drvPaths)).size;
    const built = await timed(
      ["nix", "build", "--no-link", "--option", "substituters", "", installable],
      flake,
    );
    times.buildMs.push(built.ms);
  }
  return times;
}
