/**
 * Plan: `nohead plan -f configs.nix --json` on a generated configs.nix of 100 machine types
 * (target ≤ 1 s) and of 500 (to see how it scales), next to the bare `nix-instantiate`
 * evaluation of the same plan expression, so the CLI's own share is visible.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { planExpression } from "@nohead/nixgen";
import { CLI } from "../tests/support/run-cli.ts";
import type { Benchmark } from "./benchmark.ts";
import { checkCommand } from "./check-command.ts";
import { makeFigure } from "./figure.ts";
import { generateConfigs } from "./generate-configs.ts";
import { describeTiming, timeCommand } from "./time-command.ts";

const RUNS = Number(process.env.NOHEAD_BENCH_PLAN_RUNS ?? 10);
const SIZES: { types: number; targetMs: number | null }[] = [
  { types: 100, targetMs: 1000 },
  { types: 500, targetMs: null },
];

export const plan: Benchmark = {
  name: "plan",
  description: "nohead plan --json on 100 machine types (target <= 1 s) and 500, vs nix-instantiate alone",
  async run(context) {
    const root = mkdtempSync(join(tmpdir(), "nohead-bench-plan-"));
    try {
      for (const { types, targetMs } of SIZES) {
        const dir = join(root, `types-${types}`);
        mkdirSync(dir);
        const configs = generateConfigs(types);
        const file = join(dir, "configs.nix");
        writeFileSync(file, configs.text);
        const argv = ["bun", CLI, "plan", "-f", "configs.nix", "--json"];
        checkCommand(argv, dir, (out) => {
          const planned = (JSON.parse(out) as { machines: unknown[] }).machines.length;
          return planned === configs.machines
            ? null
            : `expected ${configs.machines} machines, got ${planned}`;
        });
        const label = `${types} types, ${configs.machines} machines`;
        const cli = await timeCommand({ argv, cwd: dir, runs: RUNS, warmup: 1 });
        const cliFigure = makeFigure({
          name: `nohead plan --json (${label})`,
          unit: "ms",
          samples: cli.samplesMs,
          target: targetMs,
          note: describeTiming(cli),
        });
        context.record(cliFigure);

        const expression = planExpression({
          kind: "file",
          path: file,
          customArgsPath: undefined,
          label: file,
        });
        const nixArgv = ["nix-instantiate", "--eval", "--strict", "--json", "-E", expression];
        checkCommand(nixArgv, dir);
        const nix = await timeCommand({ argv: nixArgv, cwd: dir, runs: RUNS, warmup: 1 });
        const nixFigure = makeFigure({
          name: `nix-instantiate plan alone (${types} types)`,
          unit: "ms",
          samples: nix.samplesMs,
          note: `${describeTiming(nix)}; the pure Nix evaluation the CLI runs, the difference is the CLI's own cost`,
        });
        context.record(nixFigure);
        context.record(
          makeFigure({
            name: `plan per machine (${types} types)`,
            unit: "ms",
            samples: cli.samplesMs.map((ms) => ms / configs.machines),
            note: "nohead plan wall time / machines planned",
          }),
        );
        context.log(
          `${label}: CLI ${cliFigure.median.toFixed(0)} ms, Nix alone ${nixFigure.median.toFixed(0)} ms, ` +
            `CLI share ${(cliFigure.median - nixFigure.median).toFixed(0)} ms`,
        );
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  },
};
