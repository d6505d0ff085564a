/**
 * Runs one long command (a `nohead runall`, a bare launcher) and measures it: wall time, the
 * moment its output was complete, its CPU time, and its peak memory, sampled from
 * /proc/<pid>/status (VmHWM, the high-water mark of its own address space) while it runs. wait4's
 * ru_maxrss is not used: Linux counts the address space the child had between fork and exec — a
 * copy of this (large) benchmark process — so it reports at least the benchmark's own RSS. A
 * command that printed its whole result but does not exit is stopped after a grace period and
 * reported as hung instead of blocking the benchmark.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

export interface MeasuredRun {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** Spawn to exit (or to the hang being noticed), in ms. */
  wallMs: number;
  /** Spawn to the moment `complete(stdout)` first held, in ms; null when it never did. */
  outputMs: number | null;
  /** It printed a complete result but had not exited `exitGraceMs` later, so it was stopped. */
  hung: boolean;
  /** What the process held when it was found hung (threads, open files), for the report. */
  hangDiagnosis: string | null;
  /** CPU time (user + system) of the process, in ms (null when the platform does not say). */
  cpuMs: number | null;
  /** Largest VmHWM seen while sampling /proc, in bytes. */
  sampledHwmBytes: number;
  /** Largest VmRSS seen while sampling /proc, in bytes. */
  sampledRssBytes: number;
  /** Largest VmHWM of the companion process (see `companion`), in bytes; 0 without one. */
  companionHwmBytes: number;
}

export interface RunMeasuredOptions {
  cwd: string;
  env?: Record<string, string>;
  /** Hard deadline: the process is killed after it, and the run fails. */
  timeoutMs: number;
  /** Whether the output so far is the whole result (e.g. parses as JSON). */
  complete?: (stdout: string) => boolean;
  /** How long a process that printed its whole result may take to exit. Default 5 s. */
  exitGraceMs?: number;
  /** How often /proc is sampled. Default 20 ms. */
  sampleMs?: number;
  /**
   * The pid of a process doing the command's work elsewhere (the project's supervisor, which
   * holds the VMs' workers), sampled too; null while there is none.
   */
  companion?: () => number | null;
}

function readMemory(pid: number): { hwm: number; rss: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (key: string) =>
      Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0) * 1024;
    return { hwm: kb("VmHWM"), rss: kb("VmRSS") };
  } catch {
    return null;
  }
}

/** Threads and open files of a process that should have exited: what may keep it alive. */
function diagnose(pid: number): string {
  try {
    const threads = /^Threads:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? "?";
    const fds = readdirSync(`/proc/${pid}/fd`).map((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        return "?";
      }
    });
    const kinds = new Map<string, number>();
    for (const target of fds) {
      const kind = target.replace(/\[\d+\]$/, "").replace(/^\/.*/, "file");
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    return `${threads} threads; open: ${[...kinds].map(([k, n]) => `${k} x${n}`).join(", ")}`;
  } catch {
    return "gone before it could be inspected";
  }
}

/**
 * Spawns `argv` (no shell) and measures it.
 *
 * @example
 * const run = await runMeasured(["bun", cli, "runall", "-n", "--json"], {
 *   cwd: projectDir,
 *   timeoutMs: 600_000,
 *   complete: (out) => isJson(out),
 * });
 * console.log(run.outputMs, run.sampledHwmBytes);
 */
export async function runMeasured(argv: string[], options: RunMeasuredOptions): Promise<MeasuredRun> {
  const { cwd, env = {}, timeoutMs, complete, exitGraceMs = 5000, sampleMs = 20, companion } = options;
  const started = performance.now();
  const child = Bun.spawn(argv, {
    cwd,
    env: { ...process.env, NO_COLOR: "1", ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let sampledHwmBytes = 0;
  let sampledRssBytes = 0;
  let companionHwmBytes = 0;
  const sample = () => {
    const other = companion?.();
    const companionMemory = other ? readMemory(other) : null;
    if (companionMemory) companionHwmBytes = Math.max(companionHwmBytes, companionMemory.hwm);
    const memory = readMemory(child.pid);
    if (!memory) return;
    sampledHwmBytes = Math.max(sampledHwmBytes, memory.hwm);
    sampledRssBytes = Math.max(sampledRssBytes, memory.rss);
  };
  const sampler = setInterval(sample, sampleMs);
  let outputMs: number | null = null;
  let hung = false;
  let hangDiagnosis: string | null = null;
  let timedOut = false;
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  const deadline = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, timeoutMs);

  const readStdout = async () => {
    let text = "";
    const decoder = new TextDecoder();
    for await (const chunk of child.stdout) {
      text += decoder.decode(chunk, { stream: true });
      if (outputMs === null && complete?.(text)) {
        outputMs = performance.now() - started;
        sample();
        graceTimer = setTimeout(() => {
          hung = true;
          hangDiagnosis = diagnose(child.pid);
          child.kill("SIGTERM");
        }, exitGraceMs);
      }
    }
    return text + decoder.decode();
  };
  try {
    const [stdout, stderr] = await Promise.all([
      readStdout(),
      new Response(child.stderr).text(),
      child.exited,
    ]);
    const wallMs = performance.now() - started;
    if (timedOut) {
      throw new Error(
        `\`${argv.join(" ")}\` did not finish within ${timeoutMs / 1000} s; killed it. stderr: ${stderr.trim().slice(-500)}`,
      );
    }
    const usage = child.resourceUsage();
    return {
      exitCode: hung ? null : child.exitCode,
      signal: child.signalCode === null ? null : String(child.signalCode),
      stdout,
      stderr,
      wallMs,
      outputMs,
      hung,
      hangDiagnosis,
      cpuMs: usage ? Number(usage.cpuTime.total) / 1000 : null,
      sampledHwmBytes,
      sampledRssBytes,
      companionHwmBytes,
    };
  } finally {
    clearInterval(sampler);
    clearTimeout(deadline);
    clearTimeout(graceTimer);
  }
}
