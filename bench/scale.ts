/**
 * nohead at scale (docs/benchmarks.md, "scale"):
 * - evaluation and build time of the nixpkgs-free test flake for 1 type × count C against C types
 *   × count 1 and a single machine (target: count C within 2× of a single machine; C = 100);
 * - for each size N (fixture VMs, QEMU, TCG): `nohead runall -n` to all ready against a bare
 *   replay of the identical QEMU command lines nohead started (bench/replay-fleet.ts: read from
 *   /proc, launched at once, SSH banners polled from one process; target ratio ≤ 1.05); `status`,
 *   `status --json` and `list` wall and CPU time with N running; `stopall` against the slowest
 *   guest's own power-down; the supervisor's memory per VM; and how each grows with N.
 * Sizes from NOHEAD_BENCH_SCALE_SIZES (default 8,16,32). Every VM it starts is stopped before it
 * returns, whatever fails.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureSshIdentity, projectAt } from "@nohead/supervisor";
import { ensureFixture } from "../tests/fixture/build-fixture.ts";
import { makeFixtureFleet } from "../tests/support/fixture-fleet.ts";
import { TEST_DEADLINES } from "../tests/support/runtime-project.ts";
import { CLI } from "../tests/support/run-cli.ts";
import { removeTestTempDirs } from "../tests/support/temp-dir.ts";
import { bareRound } from "./bare-round.ts";
import type { Benchmark, BenchContext } from "./benchmark.ts";
import { type Unit, makeFigure } from "./figure.ts";
import { flakeBuildTimes } from "./flake-build-times.ts";
import { positiveInts } from "./positive-ints.ts";
import { killQemuOnInterrupt, reapQemuUnder } from "./qemu-reaper.ts";
import { type RecordedQemu, recordQemuUnder } from "./recorded-qemu.ts";
import { runallRound } from "./runall-round.ts";
import { rssBaseline } from "./runtime.ts";
import { median } from "./stats.ts";
import { timeCommand } from "./time-command.ts";

const REPLAY_FLEET = join(import.meta.dir, "replay-fleet.ts");
const MIB = 2 ** 20;
const COMMANDS = [["status"], ["status", "--json"], ["list"]];

/** Medians of one size, to show how each figure grows with N. */
type SizeMedians = Record<string, number>;

async function buildTimes(context: BenchContext, count: number, reps: number): Promise<void> {
  const variants = [
    { label: "1 machine", configs: "{ ... }: { vm = { }; }" },
    { label: `1 type × count ${count}`, configs: `{ ... }: { vm = { count = ${count}; }; }` },
    {
      label: `${count} types × count 1`,
      configs: `{ ... }: { ${Array.from({ length: count }, (_, i) => `t${i + 1} = { };`).join(" ")} }`,
    },
  ];
  const medians: Record<string, { eval: number; build: number }> = {};
  for (const { label, configs } of variants) {
    context.log(`test flake: ${label}…`);
    const times = await flakeBuildTimes(configs, reps);
    context.log(`  ${times.machines} machines, ${times.runners} runner derivation(s)`);
    const note = `${times.machines} machines, ${times.runners} runner derivation(s); fresh flake copy per run`;
    for (const [what, samples] of [
      ["evaluation (nix eval nohead.drvPaths)", times.evalMs],
      ["evaluation + build (nix build)", times.buildMs],
    ] as const) {
      context.record(makeFigure({ name: `test flake ${what}, ${label}`, unit: "ms", samples, note }));
    }
    medians[label] = { eval: median(times.evalMs), build: median(times.buildMs) };
  }
  const single = medians["1 machine"];
  const oneType = medians[`1 type × count ${count}`];
  const manyTypes = medians[`${count} types × count 1`];
  if (!single || !oneType || !manyTypes) return;
  context.record(
    makeFigure({
      name: `test flake build, 1 type × count ${count} / 1 machine`,
      unit: "x",
      samples: [oneType.build / single.build],
      target: 2,
      note: "ratio of the medians of `nix build` (evaluation + build)",
    }),
  );
  context.record(
    makeFigure({
      name: `test flake build, ${count} types × count 1 / 1 type × count ${count}`,
      unit: "x",
      samples: [manyTypes.build / oneType.build],
      note: "what building per instance (as no-headache did) would cost over building per type",
    }),
  );
}

async function fleetAtScale(
  context: BenchContext,
  root: string,
  n: number,
  reps: number,
  runs: number,
  baselineMiB: number,
): Promise<SizeMedians> {
  const dir = join(root, `n${n}`);
  mkdirSync(join(dir, ".nohead"), { recursive: true });
  await makeFixtureFleet(`{ ... }: { vm = { count = ${n}; ${TEST_DEADLINES} }; }`, { projectDir: dir });
  // The project's key pair once, outside the timings.
  ensureSshIdentity(projectAt(dir, join(dir, ".nohead")));
  const recordedFile = join(root, `n${n}-recorded.json`);
  const samples: Record<string, { unit: Unit; values: number[]; target: number | null; note: string }> = {};
  const add = (name: string, unit: Unit, value: number, target: number | null, note: string) => {
    const entry = samples[name] ?? { unit, values: [], target, note };
    entry.values.push(value);
    samples[name] = entry;
  };
  let recorded: RecordedQemu[] | null = null;
  for (let rep = 0; rep < reps; rep++) {
    // The replay needs a recording: nohead goes first in the first repetition, then they alternate.
    const order = rep % 2 === 0 ? (["nohead", "bare"] as const) : (["bare", "nohead"] as const);
    let runall: Awaited<ReturnType<typeof runallRound>> | undefined;
    let bare: Awaited<ReturnType<typeof bareRound>> | undefined;
    for (const side of order) {
      context.log(`N=${n} rep ${rep + 1}/${reps}: ${side === "nohead" ? "nohead runall" : "bare replay"}…`);
      if (side === "bare") {
        if (recorded === null) throw new Error("nothing recorded to replay");
        bare = await bareRound(["bun", REPLAY_FLEET, recordedFile], dir, n);
        continue;
      }
      runall = await runallRound(dir, n, async () => {
        recorded = recordQemuUnder(dir);
        if (recorded.length !== n) throw new Error(`recorded ${recorded.length} QEMU processes of ${n}`);
        writeFileSync(recordedFile, JSON.stringify(recorded));
        if (rep > 0) return;
        for (const args of COMMANDS) {
          const timing = await timeCommand({ argv: ["bun", CLI, ...args], cwd: dir, runs, warmup: 1 });
          const name = `nohead ${args.join(" ")}, ${n} running`;
          for (const sample of timing.samplesMs) add(name, "ms", sample, null, "wall time");
          add(`${name}, CPU`, "ms", timing.cpuMeanMs, 30, "mean user + system time per run");
        }
      });
    }
    if (!runall || !bare) throw new Error("a side of the round did not run");
    for (const leftover of [...runall.leftovers, ...bare.leftovers]) {
      context.problem(
        `N=${n} rep ${rep + 1}: QEMU pid ${leftover} was still running after the stop; killed it`,
      );
    }
    const rssMiB = runall.run.companionHwmBytes / MIB;
    const slowest = Math.max(...bare.powerDownMs);
    add(
      `runall -n, ${n} VMs: all ready`,
      "ms",
      runall.readyMs,
      null,
      "wall time of `nohead runall -n --json`",
    );
    add(
      `bare replay, ${n} VMs: all SSH banners`,
      "ms",
      bare.readyMs,
      null,
      "bench/replay-fleet.ts: nohead's QEMU command lines, one poller",
    );
    add(`runall / bare replay, ${n} VMs`, "x", runall.readyMs / bare.readyMs, 1.05, "per-repetition ratio");
    if (runall.run.cpuMs !== null) {
      add(
        `runall CLI CPU, ${n} VMs`,
        "ms",
        runall.run.cpuMs,
        null,
        "user+sys of the CLI (not the supervisor)",
      );
    }
    if (bare.run.cpuMs !== null)
      add(`bare replay CPU, ${n} VMs`, "ms", bare.run.cpuMs, null, "user+sys of the replay");
    add(`stopall, ${n} VMs`, "ms", runall.stopallMs, null, "wall time of `nohead stopall --json`");
    add(`slowest guest power-down, ${n} VMs`, "ms", slowest, null, "QMP system_powerdown to exit, bare side");
    add(`stopall - slowest power-down, ${n} VMs`, "ms", runall.stopallMs - slowest, 500, "per repetition");
    add(
      `supervisor peak RSS, ${n} VMs`,
      "MiB",
      rssMiB,
      null,
      "VmHWM of the project's supervisor during runall",
    );
    add(
      `supervisor RSS per VM, ${n} VMs`,
      "MiB",
      (rssMiB - baselineMiB) / n,
      null,
      `(peak RSS - ${baselineMiB.toFixed(1)} MiB with 0 VMs) / ${n}`,
    );
  }
  const medians: SizeMedians = {};
  for (const [name, { unit, values, target, note }] of Object.entries(samples)) {
    const figure = makeFigure({ name, unit, samples: values, target, note });
    context.record(figure);
    medians[name.replace(`, ${n} VMs`, "").replace(`, ${n} running`, "")] = figure.median;
  }
  return medians;
}

/** How each median grows between consecutive sizes: value(N2) / value(N1), and per added VM. */
function recordGrowth(context: BenchContext, bySize: Map<number, SizeMedians>): void {
  const sizes = [...bySize.keys()].sort((a, b) => a - b);
  for (let i = 1; i < sizes.length; i++) {
    const [from, to] = [sizes[i - 1] as number, sizes[i] as number];
    const [a, b] = [bySize.get(from) as SizeMedians, bySize.get(to) as SizeMedians];
    const grew = Object.keys(b)
      .filter((key) => (a[key] ?? 0) > 0 && !key.includes(" / ") && !key.includes(" - "))
      .map((key) => `${key} ×${((b[key] as number) / (a[key] as number)).toFixed(2)}`);
    context.log(`growth ${from} -> ${to} VMs: ${grew.join("; ")}`);
    const rssFrom = a["supervisor peak RSS"];
    const rssTo = b["supervisor peak RSS"];
    if (rssFrom !== undefined && rssTo !== undefined) {
      context.record(
        makeFigure({
          name: `supervisor RSS per extra VM (${from} -> ${to})`,
          unit: "MiB",
          samples: [(rssTo - rssFrom) / (to - from)],
          target: 5,
          note: "difference of the median peak RSS between two sizes: the marginal cost of a VM",
        }),
      );
    }
  }
}

export const scale: Benchmark = {
  name: "scale",
  description:
    "test flake build per type vs per instance; runall vs a bare replay, status, list, stopall, RSS at N VMs",
  async run(context) {
    if (!Bun.which("qemu-system-x86_64"))
      throw new Error("qemu-system-x86_64 not found: apt-get install qemu-system-x86");
    const sizes = positiveInts("NOHEAD_BENCH_SCALE_SIZES", process.env.NOHEAD_BENCH_SCALE_SIZES ?? "8,16,32");
    const reps = positiveInts("NOHEAD_BENCH_SCALE_REPS", process.env.NOHEAD_BENCH_SCALE_REPS ?? "1")[0] ?? 1;
    const runs = positiveInts("NOHEAD_BENCH_SCALE_RUNS", process.env.NOHEAD_BENCH_SCALE_RUNS ?? "5")[0] ?? 5;
    const count =
      positiveInts("NOHEAD_BENCH_SCALE_COUNT", process.env.NOHEAD_BENCH_SCALE_COUNT ?? "100")[0] ?? 100;
    const root = mkdtempSync(join(tmpdir(), "nohead-bench-scale-"));
    // Ctrl-C skips `finally`: kill this benchmark's VMs (and only them) before exiting.
    const releaseInterrupt = killQemuOnInterrupt(root, "scale benchmark");
    try {
      await buildTimes(context, count, reps);
      const fixture = await ensureFixture();
      context.log(
        `fixture kernel ${fixture.kernelVersion}; sizes ${sizes.join(", ")}; ${reps} repetition(s)`,
      );
      const baselineMiB = await rssBaseline(context, root);
      const bySize = new Map<number, SizeMedians>();
      for (const n of sizes) bySize.set(n, await fleetAtScale(context, root, n, reps, runs, baselineMiB));
      recordGrowth(context, bySize);
    } finally {
      const leftovers = await reapQemuUnder(root);
      if (leftovers.length > 0) {
        context.problem(
          `killed ${leftovers.length} QEMU process(es) still running at the end: ${leftovers.join(", ")}`,
        );
      }
      for (const n of sizes) {
        rmSync(projectAt(join(root, `n${n}`), join(root, `n${n}`, ".nohead")).runtimeDir, {
          recursive: true,
          force: true,
        });
      }
      rmSync(projectAt(join(root, "n0"), join(root, "n0", ".nohead")).runtimeDir, {
        recursive: true,
        force: true,
      });
      removeTestTempDirs();
      releaseInterrupt();
      if (process.env.NOHEAD_BENCH_KEEP === "1") context.log(`kept ${root}`);
      else rmSync(root, { recursive: true, force: true });
    }
  },
};
