/**
 * Runtime, with real QEMU (TCG) booting fixture VMs (tests/fixture):
 * - time to all-ready of `nohead runall -n` vs a bare launcher of the same runners polling the
 *   same readiness (bench/bare-fleet.ts), for N = 1, 4, 8 VMs, order alternated per repetition,
 *   medians of paired ratios (target runall/bare ≤ 1.05);
 * - the supervisor's peak RSS per VM during runall (target ≤ 5 MiB), against its RSS with 0 VMs
 *   (the supervisor holds the VMs' workers; the CLI only sends the machines);
 * - `nohead status` with 20 running VMs' state (target ≤ 50 ms);
 * - `nohead stopall` vs the slowest guest's own power-down (target ≤ slowest + 0.5 s).
 * Every VM it starts is stopped before it returns, whatever fails.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureSshIdentity, ensureSupervisor, type Project, projectAt } from "@nohead/supervisor";
import { ensureFixture } from "../tests/fixture/build-fixture.ts";
import { makeFixtureFleet } from "../tests/support/fixture-fleet.ts";
import { CLI } from "../tests/support/run-cli.ts";
import { bareRound } from "./bare-round.ts";
import type { Benchmark, BenchContext } from "./benchmark.ts";
import { checkCommand } from "./check-command.ts";
import { writeFakeVmStates } from "./fake-vm-states.ts";
import { makeFigure } from "./figure.ts";
import { positiveInts } from "./positive-ints.ts";
import { killQemuOnInterrupt, reapQemuUnder } from "./qemu-reaper.ts";
import { runallRound, supervisorEnded } from "./runall-round.ts";
import { median } from "./stats.ts";
import { describeTiming, timeCommand } from "./time-command.ts";
import { waitForQuiet } from "./wait-for-quiet.ts";

const STATUS_RUNS = 30;
const BARE_FLEET = join(import.meta.dir, "bare-fleet.ts");
const BASELINE_RUNS = 5;
const MIB = 2 ** 20;
/** How long a round waits for other QEMUs on the machine to finish before it runs anyway. */
const QUIET_WAIT_MS = Number(process.env.NOHEAD_BENCH_QUIET_WAIT ?? 60) * 1000;

async function statusLatency(context: BenchContext, root: string): Promise<void> {
  const dir = join(root, "status");
  mkdirSync(dir);
  using fake = writeFakeVmStates(dir, 20, { running: true });
  checkCommand(["bun", CLI, "status", "--json"], dir, (out) => {
    const machines = (JSON.parse(out) as { machines: { condition: string }[] }).machines;
    const running = machines.filter((m) => m.condition === "running").length;
    return running === fake.names.length ? null : `expected ${fake.names.length} running VMs, got ${running}`;
  });
  for (const args of [["status"], ["status", "--json"]]) {
    const timing = await timeCommand({ argv: ["bun", CLI, ...args], cwd: dir, runs: STATUS_RUNS });
    context.record(
      makeFigure({
        name: `nohead ${args.join(" ")} (20 running VMs)`,
        unit: "ms",
        samples: timing.samplesMs,
        target: 50,
        note: `${describeTiming(timing)}; running = live stand-in processes with their real start ticks`,
      }),
    );
  }
}

/**
 * The supervisor's peak RSS with no VM: `nohead supervise` in a project of 0 machines, sampled
 * once its socket answers (the VMs' workers live in the supervisor, so its RSS is what VMs cost).
 */
export async function rssBaseline(context: BenchContext, root: string): Promise<number> {
  const fleet = await makeFixtureFleet("{ ... }: { vm = { count = 0; }; }", { projectDir: join(root, "n0") });
  const project = projectAt(fleet.projectDir, join(fleet.projectDir, ".nohead"));
  const samples: number[] = [];
  for (let i = 0; i < BASELINE_RUNS; i++) {
    const { pid } = await ensureSupervisor(project, ["bun", CLI, "supervise"]);
    await Bun.sleep(500);
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    samples.push(Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) / 1024);
    process.kill(pid, "SIGTERM");
    await supervisorEnded(fleet.projectDir);
  }
  const figure = makeFigure({
    name: "supervisor peak RSS, 0 VMs (baseline)",
    unit: "MiB",
    samples,
    note: "VmHWM of `nohead supervise` in a project of no machines, once its socket answers",
  });
  context.record(figure);
  return figure.median;
}

interface SizeMedians {
  rssMiB: number;
}

async function fleetOf(
  context: BenchContext,
  root: string,
  n: number,
  reps: number,
  baselineMiB: number,
): Promise<SizeMedians> {
  const dir = join(root, `n${n}`);
  mkdirSync(join(dir, ".nohead"), { recursive: true });
  const bareDir = join(root, `n${n}-bare`);
  mkdirSync(bareDir);
  const fleet = await makeFixtureFleet(`{ ... }: { vm = { count = ${n}; }; }`, { projectDir: dir });
  // The project key pairs are made once, outside the timings (each side would pay it on its first run).
  for (const project of [
    projectAt(dir, join(dir, ".nohead")),
    projectAt(bareDir, join(bareDir, ".nohead")),
  ]) {
    ensureSshIdentity(project);
  }
  const s = {
    runall: [] as number[],
    bare: [] as number[],
    ratio: [] as number[],
    rss: [] as number[],
    rssPerVm: [] as number[],
    stopall: [] as number[],
    slowest: [] as number[],
    overSlowest: [] as number[],
    runallCpu: [] as number[],
    bareCpu: [] as number[],
  };
  const hung = { runall: 0, bare: 0 };
  const methods = new Map<string, number>();
  for (let rep = 0; rep < reps; rep++) {
    const quiet = await waitForQuiet(QUIET_WAIT_MS, root);
    if (!quiet.quiet) {
      context.problem(
        `N=${n} rep ${rep + 1}: ${quiet.foreignQemu} other QEMU process(es) still ran on this machine after ` +
          `waiting ${(quiet.waitedMs / 1000).toFixed(0)} s (load ${quiet.loadAverage.toFixed(2)}): figures are noisier`,
      );
    } else if (quiet.waitedMs > 1000) {
      context.log(`waited ${(quiet.waitedMs / 1000).toFixed(0)} s for other QEMUs on this machine to finish`);
    }
    const sides = rep % 2 === 0 ? (["nohead", "bare"] as const) : (["bare", "nohead"] as const);
    let runall: Awaited<ReturnType<typeof runallRound>> | undefined;
    let bare: Awaited<ReturnType<typeof bareRound>> | undefined;
    for (const side of sides) {
      context.log(`N=${n} rep ${rep + 1}/${reps}: ${side === "nohead" ? "nohead runall" : "bare launcher"}…`);
      if (side === "nohead") runall = await runallRound(dir, n);
      else bare = await bareRound(["bun", BARE_FLEET, fleet.resultDir, bareDir], bareDir, n);
    }
    if (!runall || !bare) throw new Error("a side of the round did not run");
    for (const leftover of [...runall.leftovers, ...bare.leftovers]) {
      context.problem(
        `N=${n} rep ${rep + 1}: QEMU pid ${leftover} was still running after the stop; killed it`,
      );
    }
    if (runall.run.hung) {
      hung.runall++;
      context.problem(
        `N=${n} rep ${rep + 1}: runall hung after printing its result: ${runall.run.hangDiagnosis}`,
      );
    }
    if (bare.run.hung) hung.bare++;
    for (const method of Object.values(runall.stopMethods))
      methods.set(method, (methods.get(method) ?? 0) + 1);
    const rssMiB = runall.run.companionHwmBytes / MIB;
    const slowest = Math.max(...bare.powerDownMs);
    s.runall.push(runall.readyMs);
    s.bare.push(bare.readyMs);
    s.ratio.push(runall.readyMs / bare.readyMs);
    s.rss.push(rssMiB);
    s.rssPerVm.push((rssMiB - baselineMiB) / n);
    s.stopall.push(runall.stopallMs);
    s.slowest.push(slowest);
    s.overSlowest.push(runall.stopallMs - slowest);
    if (runall.run.cpuMs !== null) s.runallCpu.push(runall.run.cpuMs);
    if (bare.run.cpuMs !== null) s.bareCpu.push(bare.run.cpuMs);
    context.log(
      `  runall ${(runall.readyMs / 1000).toFixed(2)} s, bare ${(bare.readyMs / 1000).toFixed(2)} s, ` +
        `supervisor peak RSS ${rssMiB.toFixed(1)} MiB, CLI CPU ${((runall.run.cpuMs ?? 0) / 1000).toFixed(2)} s, ` +
        `stopall ${runall.stopallMs.toFixed(0)} ms, slowest power-down ${slowest.toFixed(0)} ms`,
    );
  }
  if (hung.runall > 0) {
    context.problem(
      `N=${n}: nohead runall printed its result (all ready) but had not exited 5 s later in ${hung.runall} of ${reps} runs; ` +
        "the benchmark stopped it and took the time to its printed result",
    );
  }
  if (hung.bare > 0)
    context.problem(`N=${n}: the bare launcher did not exit after printing in ${hung.bare} runs`);
  const vms = `${n} VM${n === 1 ? "" : "s"}`;
  const record = (
    name: string,
    unit: "ms" | "MiB" | "x",
    samples: number[],
    target: number | null,
    note: string,
  ) => context.record(makeFigure({ name, unit, samples, target, note }));
  record(`runall -n, ${vms}: all ready`, "ms", s.runall, null, "wall time of `nohead runall -n --json`");
  record(`bare launcher, ${vms}: all ready`, "ms", s.bare, null, "wall time of bench/bare-fleet.ts");
  record(`runall / bare, ${vms}`, "x", s.ratio, 1.05, "median of per-repetition ratios; order alternated");
  if (s.runallCpu.length > 0) {
    record(
      `runall CLI CPU time, ${vms}`,
      "ms",
      s.runallCpu,
      null,
      "user+sys of the runall process until exit (the supervisor's CPU is not in it)",
    );
  }
  if (s.bareCpu.length > 0) {
    record(`bare launcher CPU time, ${vms}`, "ms", s.bareCpu, null, "user+sys of bench/bare-fleet.ts");
  }
  record(
    `supervisor peak RSS, ${vms}`,
    "MiB",
    s.rss,
    null,
    "VmHWM of the project's supervisor (the VMs' worker threads included), sampled every 20 ms",
  );
  // Not the target: it spreads the first worker's one-time cost (~8 MiB, docs/benchmarks.md) over
  // N. The target applies to the marginal cost, "RSS per extra VM", recorded at the end.
  record(
    `supervisor RSS per VM (average), ${vms}`,
    "MiB",
    s.rssPerVm,
    null,
    `(peak RSS - ${baselineMiB.toFixed(1)} MiB baseline with 0 VMs) / ${n}`,
  );
  record(
    `stopall, ${vms}`,
    "ms",
    s.stopall,
    null,
    `wall time of \`nohead stopall\`; methods: ${[...methods].map(([m, c]) => `${m} x${c}`).join(", ")}`,
  );
  record(
    n === 1 ? "guest power-down, 1 VM" : `slowest guest power-down, ${vms} in parallel`,
    "ms",
    s.slowest,
    null,
    "QMP system_powerdown to QEMU's exit, polled every 10 ms (the bare side's VMs)",
  );
  record(
    `stopall - slowest power-down, ${vms}`,
    "ms",
    s.overSlowest,
    500,
    "per repetition: stopall wall time minus the slowest guest's own power-down",
  );
  return { rssMiB: median(s.rss) };
}

export const runtime: Benchmark = {
  name: "runtime",
  description:
    "runall vs a bare launcher, supervisor RSS per VM, status latency, stopall vs power-down (QEMU, TCG)",
  async run(context) {
    if (!Bun.which("qemu-system-x86_64"))
      throw new Error("qemu-system-x86_64 not found: apt-get install qemu-system-x86");
    const sizes = positiveInts("NOHEAD_BENCH_SIZES", process.env.NOHEAD_BENCH_SIZES ?? "1,4,8");
    const reps = positiveInts("NOHEAD_BENCH_REPS", process.env.NOHEAD_BENCH_REPS ?? "3")[0] ?? 3;
    const fixture = await ensureFixture();
    context.log(`fixture kernel ${fixture.kernelVersion}; sizes ${sizes.join(", ")}; ${reps} repetitions`);
    const root = mkdtempSync(join(tmpdir(), "nohead-bench-rt-"));
    const projects: Project[] = [];
    // Ctrl-C skips `finally`: kill this benchmark's VMs (and only them) before exiting.
    const releaseInterrupt = killQemuOnInterrupt(root, "runtime benchmark");
    try {
      await statusLatency(context, root);
      const baselineMiB = await rssBaseline(context, root);
      const medians = new Map<number, SizeMedians>();
      for (const n of sizes) {
        projects.push(projectAt(join(root, `n${n}`), join(root, `n${n}`, ".nohead")));
        projects.push(projectAt(join(root, `n${n}-bare`), join(root, `n${n}-bare`, ".nohead")));
        medians.set(n, await fleetOf(context, root, n, reps, baselineMiB));
      }
      const measured = [...medians.keys()].sort((a, b) => a - b);
      const [small, large] = [measured.at(-2), measured.at(-1)];
      const smallRss = small === undefined ? undefined : medians.get(small)?.rssMiB;
      const largeRss = large === undefined ? undefined : medians.get(large)?.rssMiB;
      if (small !== undefined && large !== undefined && smallRss !== undefined && largeRss !== undefined) {
        context.record(
          makeFigure({
            name: `supervisor RSS per extra VM (${small} -> ${large})`,
            unit: "MiB",
            samples: [(largeRss - smallRss) / (large - small)],
            target: 5,
            note: "difference of the median peak RSS between the two largest sizes: the marginal cost of a VM",
          }),
        );
      }
    } finally {
      const leftovers = await reapQemuUnder(root);
      if (leftovers.length > 0) {
        context.problem(
          `killed ${leftovers.length} QEMU process(es) still running at the end: ${leftovers.join(", ")}`,
        );
      }
      for (const project of projects) rmSync(project.runtimeDir, { recursive: true, force: true });
      releaseInterrupt();
      if (process.env.NOHEAD_BENCH_KEEP === "1") context.log(`kept ${root}`);
      else rmSync(root, { recursive: true, force: true });
    }
  },
};
