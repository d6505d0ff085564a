/** The machine a benchmark ran on, written beside its figures: numbers mean little without it. */
import { cpus, freemem, loadavg, release, totalmem } from "node:os";
import { z } from "zod";

export const MachineInfo = z.strictObject({
  cpus: z.number().int(),
  cpuModel: z.string(),
  memoryMiB: z.number().int(),
  freeMemoryMiB: z.number().int(),
  kernel: z.string(),
  bun: z.string(),
  /** `hyperfine --version`, or null when startup figures were timed by spawning. */
  hyperfine: z.string().nullable(),
  /** 1-minute load average when the benchmark started: above the core count means a busy machine. */
  loadAverage: z.number(),
});
export type MachineInfo = z.infer<typeof MachineInfo>;

/**
 * Describes this machine now.
 *
 * @example
 * machineInfo() // => { cpus: 2, cpuModel: "Intel(R) Xeon(R) Processor", bun: "1.4.5", … }
 */
export function machineInfo(): MachineInfo {
  const hyperfine = Bun.which("hyperfine")
    ? Bun.spawnSync(["hyperfine", "--version"]).stdout.toString().trim() || null
    : null;
  return MachineInfo.parse({
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown",
    memoryMiB: Math.round(totalmem() / 2 ** 20),
    freeMemoryMiB: Math.round(freemem() / 2 ** 20),
    kernel: release(),
    bun: Bun.version,
    hyperfine,
    loadAverage: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  });
}
