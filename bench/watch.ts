/**
 * What watching VMs for their whole life costs, with real QEMU (TCG) fixture VMs: a process
 * hosting a supervising fleet (tests/support/supervising-process.ts, as the supervisor does)
 * starts N VMs whose checks run every 10 s (`health.interval = 10`, SSH banner), then
 * - its RSS once every VM is ready and watched (sampled over the window), for N = 1 and 4, and
 *   the marginal RSS per extra VM (target ≤ 5 MiB);
 * - its CPU time (user + system, /proc/<pid>/stat) over a window of steady watching, per VM per
 *   minute: health checks, the exit watch and the state writes, all of it; and the QEMU
 *   processes' CPU over the same window (the guest answers every probe: dropbear forks);
 * - the same for the largest N with the checks off (`health.ssh = false`: only the exit watch),
 *   so the difference is what the checks themselves cost, host and guest.
 * Every VM it starts is stopped before it returns, whatever fails.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Fleet } from "@nohead/supervisor";
import { makeFixtureFleet } from "../tests/support/fixture-fleet.ts";
import { REPO_ROOT } from "../tests/support/run-cli.ts";
import type { Benchmark, BenchContext } from "./benchmark.ts";
import { makeFigure } from "./figure.ts";
import { findQemuUnder, reapQemuUnder } from "./qemu-reaper.ts";

const MIB = 2 ** 20;
const INTERVAL_S = 10;
/** Seconds of steady watching over which CPU and RSS are sampled. */
const WINDOW_S = Number(process.env.NOHEAD_BENCH_WATCH_WINDOW ?? 60);
const CLOCK_TICKS = 100; // USER_HZ on Linux

function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS; // utime + stime
}

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
}

/** Starts `n` watched VMs in a supervising process; returns its steady RSS and CPU per VM per minute. */
async function watchRound(
  context: BenchContext,
  n: number,
  checks: boolean,
): Promise<{ rssMiB: number[]; cpuMsPerVmMinute: number; qemuCpuMsPerVmMinute: number }> {
  const fixture = await makeFixtureFleet(
    `{ ... }: { vm = { count = ${n}; health.ssh = ${checks}; health.interval = ${INTERVAL_S}; health.deadlines = { started = 30; booted = 180; ready = 240; }; }; }`,
    { projectDir: mkdtempSync(join(tmpdir(), `nohead-watch-${n}-`)) },
  );
  const supervisor = Bun.spawn(
    ["bun", join(REPO_ROOT, "tests/support/supervising-process.ts"), fixture.projectDir],
    {
      cwd: REPO_ROOT,
      stdout: "pipe",
      stderr: "inherit",
    },
  );
  try {
    let line = "";
    for await (const chunk of supervisor.stdout) {
      line += new TextDecoder().decode(chunk);
      if (line.includes("\n")) break;
    }
    const results = JSON.parse(line) as { machine: string; ok: boolean; failure: string | null }[];
    const failed = results.filter((r) => !r.ok);
    if (failed.length > 0) throw new Error(`VMs did not get ready: ${JSON.stringify(failed)}`);
    // Let the starts' garbage settle, then watch.
    await Bun.sleep(INTERVAL_S * 1000);
    const rssMiB: number[] = [];
    const qemus = findQemuUnder(fixture.projectDir).map((q) => q.pid);
    const qemuCpu = () => qemus.reduce((sum, pid) => sum + cpuMs(pid), 0);
    const qemuBefore = qemuCpu();
    const cpuBefore = cpuMs(supervisor.pid);
    const started = performance.now();
    for (let t = 0; t < WINDOW_S; t += 5) {
      await Bun.sleep(5000);
      rssMiB.push(rssBytes(supervisor.pid) / MIB);
    }
    const minutes = (performance.now() - started) / 60_000;
    const cpuMsPerVmMinute = (cpuMs(supervisor.pid) - cpuBefore) / minutes / n;
    const qemuCpuMsPerVmMinute = (qemuCpu() - qemuBefore) / minutes / n;
    const fleet = Fleet.open({ cwd: fixture.projectDir });
    const watched = fleet
      .status()
      .filter((s) => s.watcherPid === supervisor.pid && s.healthy === (checks ? true : null));
    if (watched.length !== n)
      context.problem(`${n} VMs: only ${watched.length} watched as expected at the end`);
    context.log(
      `${n} VM(s), checks ${checks ? "on" : "off"}: RSS ${rssMiB.at(-1)?.toFixed(1)} MiB, CPU ${cpuMsPerVmMinute.toFixed(1)} ms ` +
        `per VM per minute (QEMU ${qemuCpuMsPerVmMinute.toFixed(0)} ms)`,
    );
    return { rssMiB, cpuMsPerVmMinute, qemuCpuMsPerVmMinute };
  } finally {
    supervisor.kill("SIGKILL");
    await supervisor.exited;
    await Fleet.open({ cwd: fixture.projectDir }).stop(undefined, { powerdownMs: 10_000 });
    await reapQemuUnder(fixture.projectDir);
    rmSync(fixture.projectDir, { recursive: true, force: true });
  }
}

export const watch: Benchmark = {
  name: "watch",
  description:
    "a supervising process watching N VMs: its RSS per VM and its CPU per VM per minute (QEMU, TCG)",
  async run(context) {
    const counts = (process.env.NOHEAD_BENCH_WATCH_VMS ?? "1,4").split(",").map(Number);
    const rounds = new Map<number, Awaited<ReturnType<typeof watchRound>>>();
    for (const n of counts) {
      const round = await watchRound(context, n, true);
      rounds.set(n, round);
      context.record(
        makeFigure({
          name: `supervising process RSS, ${n} watched VM(s)`,
          unit: "MiB",
          samples: round.rssMiB,
          target: null,
          note: `sampled every 5 s over ${WINDOW_S} s of steady watching`,
        }),
      );
      context.record(
        makeFigure({
          name: `watch CPU per VM per minute, ${n} VM(s), checks every ${INTERVAL_S} s`,
          unit: "ms",
          samples: [round.cpuMsPerVmMinute],
          target: null,
          note: "user + system time of the supervising process: health checks (SSH banner), exit watch, state writes",
        }),
      );
      context.record(
        makeFigure({
          name: `QEMU CPU per VM per minute, ${n} VM(s), checks every ${INTERVAL_S} s`,
          unit: "ms",
          samples: [round.qemuCpuMsPerVmMinute],
          target: null,
          note: "the idle guests, answering the probes",
        }),
      );
    }
    const [small, large] = [Math.min(...counts), Math.max(...counts)];
    const off = await watchRound(context, large, false);
    const on = rounds.get(large);
    context.record(
      makeFigure({
        name: `watch CPU per VM per minute, ${large} VM(s), checks off`,
        unit: "ms",
        samples: [off.cpuMsPerVmMinute],
        target: null,
        note: "the exit watch alone (/proc every second, the events monitor)",
      }),
    );
    context.record(
      makeFigure({
        name: `QEMU CPU per VM per minute, ${large} VM(s), checks off`,
        unit: "ms",
        samples: [off.qemuCpuMsPerVmMinute],
        target: null,
        note: "the idle guests",
      }),
    );
    if (on) {
      context.log(
        `health checks every ${INTERVAL_S} s cost per VM per minute: host ${(on.cpuMsPerVmMinute - off.cpuMsPerVmMinute).toFixed(1)} ms, ` +
          `guest (QEMU) ${(on.qemuCpuMsPerVmMinute - off.qemuCpuMsPerVmMinute).toFixed(0)} ms (differences of single windows: noisy)`,
      );
    }
    const a = rounds.get(small);
    const b = rounds.get(large);
    if (a && b && large > small) {
      const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? 0;
      context.record(
        makeFigure({
          name: `supervising process RSS per extra watched VM (${small} -> ${large})`,
          unit: "MiB",
          samples: [(median(b.rssMiB) - median(a.rssMiB)) / (large - small)],
          target: 5,
          note: "one worker thread per VM for its whole life",
        }),
      );
    }
  },
};
