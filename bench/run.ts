#!/usr/bin/env bun
/**
 * Runs nohead's benchmarks and prints their figures (median, p90, min, target, ratio).
 * `bun bench/run.ts` runs them all; `bun bench/run.ts startup plan` runs those named. Each one's
 * figures are also written to bench/results/<name>.json. Benchmarks never fail on a missed
 * target (they report it); the exit code is 1 only when a benchmark could not run.
 * docs/benchmarks.md says what each figure means.
 */
import type { Benchmark, BenchContext } from "./benchmark.ts";
import { type BenchReport, writeReport } from "./bench-report.ts";
import type { Figure } from "./figure.ts";
import { machineInfo } from "./machine-info.ts";
import { renderFigures } from "./render-figures.ts";
import { waitForQuiet } from "./wait-for-quiet.ts";

/** Every benchmark, in the order `bun bench/run.ts` runs them; loaded only when asked for. */
const BENCHMARKS: Record<string, () => Promise<Benchmark>> = {
  startup: async () => (await import("./startup.ts")).startup,
  plan: async () => (await import("./plan.ts")).plan,
  runtime: async () => (await import("./runtime.ts")).runtime,
  "fleet-status": async () => (await import("./fleet-status.ts")).fleetStatus,
  test: async () => (await import("./test-command.ts")).testCommand,
  watch: async () => (await import("./watch.ts")).watch,
  scale: async () => (await import("./scale.ts")).scale,
  slurm: async () => (await import("./slurm.ts")).slurm,
  "supervisor-start": async () => (await import("./supervisor-start.ts")).supervisorStart,
};

/** How long a benchmark waits for other QEMUs on the machine to finish before it runs anyway. */
const QUIET_WAIT_MS = Number(process.env.NOHEAD_BENCH_QUIET_WAIT ?? 60) * 1000;

const log = (line: string) => process.stderr.write(`${line}\n`);

async function runOne(name: string, load: () => Promise<Benchmark>): Promise<BenchReport> {
  const benchmark = await load();
  const figures: Figure[] = [];
  const problems: string[] = [];
  const startedAt = new Date();
  log(`\n== ${benchmark.name}: ${benchmark.description}`);
  const context: BenchContext = {
    log: (line) => log(`   ${line}`),
    record: (figure) => {
      figures.push(figure);
      log(`   ${renderFigures([figure]).split("\n")[1]}`);
    },
    problem: (message) => {
      problems.push(message);
      log(`   ! ${message}`);
    },
  };
  const quiet = await waitForQuiet(QUIET_WAIT_MS);
  if (!quiet.quiet) {
    context.problem(
      `${quiet.foreignQemu} QEMU process(es) of other work ran on this machine when it started ` +
        `(after waiting ${(quiet.waitedMs / 1000).toFixed(0)} s; load ${quiet.loadAverage.toFixed(2)}): figures are noisier`,
    );
  }
  const machine = machineInfo();
  let error: string | null = null;
  try {
    await benchmark.run(context);
  } catch (thrown) {
    error = thrown instanceof Error ? (thrown.stack ?? thrown.message) : String(thrown);
    log(`   benchmark ${name} failed: ${error}`);
  }
  const report: BenchReport = {
    benchmark: name,
    startedAt: startedAt.toISOString(),
    durationSeconds: (Date.now() - startedAt.getTime()) / 1000,
    machine,
    figures,
    problems,
    error,
  };
  log(`   wrote ${writeReport(report)}`);
  return report;
}

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !(name in BENCHMARKS));
if (unknown.length > 0) {
  log(`unknown benchmark ${unknown.join(", ")}; known: ${Object.keys(BENCHMARKS).join(", ")}`);
  process.exit(2);
}
const names = wanted.length > 0 ? wanted : Object.keys(BENCHMARKS);
const reports: BenchReport[] = [];
for (const name of names) {
  const load = BENCHMARKS[name];
  if (load) reports.push(await runOne(name, load));
}

const machine = reports[0]?.machine;
if (machine) {
  process.stdout.write(
    `\nnohead benchmarks, ${new Date().toISOString().slice(0, 10)}, ${machine.cpus} x ${machine.cpuModel}, ` +
      `${machine.memoryMiB} MiB, Linux ${machine.kernel}, Bun ${machine.bun}, load ${machine.loadAverage}\n`,
  );
}
for (const report of reports) {
  process.stdout.write(`\n[${report.benchmark}]\n${renderFigures(report.figures)}`);
  for (const problem of report.problems) process.stdout.write(`! ${problem}\n`);
  if (report.error) process.stdout.write(`! benchmark failed: ${report.error.split("\n")[0]}\n`);
}
const missed = reports.flatMap((r) => r.figures).filter((f) => f.verdict === "missed");
const failed = reports.filter((r) => r.error !== null).map((r) => r.benchmark);
const verdicts = [
  missed.length === 0
    ? "every figure measured is within its target"
    : `missed: ${missed.map((f) => f.name).join("; ")}`,
  ...(failed.length > 0 ? [`could not finish: ${failed.join(", ")}`] : []),
];
process.stdout.write(`\n${verdicts.join("\n")}\n`);
process.exitCode = failed.length > 0 ? 1 : 0;
