/**
 * `status`, `status --json` and `list` with N real fixture VMs running (default 20; QEMU, TCG),
 * started by `nohead runall` so the project's supervisor watches them as users have it: wall time
 * (target ≤ 50 ms on an idle machine) and CPU time per run (target ≤ 30 ms). Running TCG guests
 * keep both cores busy, so here the wall time is the CPU time times the contention: read the CPU
 * figure as the command's own cost. Every VM it starts is stopped before it returns.
 */
import { makeRuntimeProject, TEST_DEADLINES } from "../tests/support/runtime-project.ts";
import { CLI } from "../tests/support/run-cli.ts";
import type { Benchmark } from "./benchmark.ts";
import { makeFigure } from "./figure.ts";
import { describeTiming, timeCommand } from "./time-command.ts";

const VMS = Number(process.env.NOHEAD_BENCH_STATUS_VMS ?? 20);
const RUNS = Number(process.env.NOHEAD_BENCH_STATUS_RUNS ?? 15);

export const fleetStatus: Benchmark = {
  name: "fleet-status",
  description: `status and list with ${VMS} running fixture VMs: wall and CPU time per run`,
  async run(context) {
    const project = await makeRuntimeProject(`{ ... }: { web = { count = ${VMS}; ${TEST_DEADLINES} }; }`);
    try {
      const started = performance.now();
      const runall = await project.cli(["runall", "-n"], { timeoutMs: 900_000 });
      if (runall.exitCode !== 0) throw new Error(`runall failed (${runall.exitCode}): ${runall.stderr}`);
      context.log(`${VMS} VMs ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      const running = (await project.status()).filter((s) => s.condition === "running").length;
      if (running !== VMS) throw new Error(`expected ${VMS} running VMs, status says ${running}`);
      for (const args of [["status"], ["status", "--json"], ["list"]]) {
        const timing = await timeCommand({
          argv: ["bun", CLI, ...args],
          cwd: project.projectDir,
          runs: RUNS,
        });
        const name = `nohead ${args.join(" ")} (${VMS} running fixture VMs)`;
        context.record(
          makeFigure({
            name,
            unit: "ms",
            samples: timing.samplesMs,
            target: 50,
            note: describeTiming(timing),
          }),
        );
        context.record(
          makeFigure({
            name: `${name}, CPU`,
            unit: "ms",
            samples: [timing.cpuMeanMs],
            target: 30,
            note: "mean user + system time per run",
          }),
        );
      }
    } finally {
      const left = await project.cleanup();
      if (left.length > 0) context.problem(`left running after stopall: ${left.join("; ")}`);
    }
  },
};
