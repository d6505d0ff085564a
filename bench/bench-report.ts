/** The report of one benchmark run, written to bench/results/<name>.json (gitignored). */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { Figure } from "./figure.ts";
import { MachineInfo } from "./machine-info.ts";

export const BenchReport = z.strictObject({
  benchmark: z.string(),
  startedAt: z.iso.datetime(),
  durationSeconds: z.number().nonnegative(),
  machine: MachineInfo,
  figures: z.array(Figure),
  /** What went wrong or makes the figures doubtful (a hung command, other QEMUs running, …). */
  problems: z.array(z.string()),
  /** Set when the benchmark itself failed; the figures recorded before the failure are kept. */
  error: z.string().nullable(),
});
export type BenchReport = z.infer<typeof BenchReport>;

/** Where reports go: `$NOHEAD_BENCH_RESULTS`, else bench/results/. */
export function resultsDir(): string {
  return process.env.NOHEAD_BENCH_RESULTS || join(import.meta.dir, "results");
}

/**
 * Validates `report` and writes it as `<resultsDir>/<benchmark>.json`; returns the path.
 *
 * @example
 * writeReport(report) // => "/work/main/bench/results/startup.json"
 */
export function writeReport(report: BenchReport): string {
  const dir = resultsDir();
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${report.benchmark}.json`);
  writeFileSync(path, `${JSON.stringify(BenchReport.parse(report), null, 2)}\n`);
  return path;
}
