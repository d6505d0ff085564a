/**
 * Times a short command's wall time over many runs: with hyperfine (`-N`, no shell in between)
 * when it is installed, else by spawning it in a loop. Either way the samples come back raw, so
 * the caller summarises them like every other figure. Use it for commands that take
 * milliseconds to seconds; a failing command is an error, never a timing.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";

export interface TimeCommandOptions {
  argv: string[];
  cwd: string;
  runs: number;
  /** Untimed runs first (caches, Bun's transpiler cache). Default 3. */
  warmup?: number;
  /** Added to the environment. */
  env?: Record<string, string>;
}

export interface Timing {
  samplesMs: number[];
  /**
   * Mean CPU time (user + system) per run, in ms: far steadier than wall time on a busy machine,
   * since waiting for a core does not count.
   */
  cpuMeanMs: number;
  tool: "hyperfine" | "spawn";
}

const HyperfineExport = z.object({
  results: z.array(
    z.object({
      times: z.array(z.number()),
      user: z.number(),
      system: z.number(),
      exit_codes: z.array(z.number().nullable()),
    }),
  ),
});

/** How a timing was taken, for a figure's note. */
export function describeTiming(timing: Timing): string {
  return `wall time, ${timing.tool}; CPU (user+sys) ${timing.cpuMeanMs.toFixed(1)} ms per run`;
}

/** Quotes `arg` for hyperfine's POSIX-like word splitting (it runs the command without a shell). */
export function quoteArg(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** Whether hyperfine is used (installed, and not switched off with NOHEAD_BENCH_HYPERFINE=0). */
export function hyperfineAvailable(): boolean {
  return process.env.NOHEAD_BENCH_HYPERFINE !== "0" && Bun.which("hyperfine") !== null;
}

/**
 * Runs `argv` `warmup + runs` times and returns the wall time of the timed runs in milliseconds.
 *
 * @example
 * const { samplesMs } = await timeCommand({ argv: ["bun", "-e", ""], cwd: "/tmp", runs: 30 });
 */
export async function timeCommand({
  argv,
  cwd,
  runs,
  warmup = 3,
  env = {},
}: TimeCommandOptions): Promise<Timing> {
  if (!Number.isInteger(runs) || runs < 1)
    throw new Error(`Expected runs to be a positive integer, got ${runs}`);
  const fullEnv = { ...process.env, NO_COLOR: "1", ...env };
  if (hyperfineAvailable()) {
    const dir = mkdtempSync(join(tmpdir(), "nohead-hyperfine-"));
    try {
      const out = join(dir, "times.json");
      const command = argv.map(quoteArg).join(" ");
      const child = Bun.spawn(
        ["hyperfine", "-N", "--style", "none", "--warmup", String(warmup), "--runs", String(runs)].concat([
          "--export-json",
          out,
          "--",
          command,
        ]),
        { cwd, env: fullEnv, stdout: "ignore", stderr: "pipe" },
      );
      const [stderr, code] = await Promise.all([new Response(child.stderr).text(), child.exited]);
      if (code !== 0) throw new Error(`hyperfine failed on \`${command}\` (exit ${code}): ${stderr.trim()}`);
      const result = HyperfineExport.parse(JSON.parse(readFileSync(out, "utf8"))).results[0];
      if (!result) throw new Error(`hyperfine reported no result for \`${command}\``);
      return {
        samplesMs: result.times.map((s) => s * 1000),
        cpuMeanMs: (result.user + result.system) * 1000,
        tool: "hyperfine",
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const samplesMs: number[] = [];
  let cpuMicros = 0;
  for (let i = 0; i < warmup + runs; i++) {
    const started = performance.now();
    const result = Bun.spawnSync(argv, { cwd, env: fullEnv, stdout: "ignore", stderr: "pipe" });
    const elapsed = performance.now() - started;
    if (result.exitCode !== 0) {
      throw new Error(
        `\`${argv.join(" ")}\` exited with ${result.exitCode}: ${result.stderr.toString().trim()}`,
      );
    }
    if (i >= warmup) {
      samplesMs.push(elapsed);
      cpuMicros += Number(result.resourceUsage?.cpuTime.total ?? 0);
    }
  }
  return { samplesMs, cpuMeanMs: cpuMicros / 1000 / runs, tool: "spawn" };
}
