/**
 * The benchmark's safety net: finds QEMU processes whose command line mentions a directory the
 * benchmark created (every VM it starts has its console log under it) and ends them, so no
 * QEMU outlives a benchmark that failed halfway. Never touches any other QEMU.
 */
import { readdirSync, readFileSync } from "node:fs";
import { isSameProcessAlive, readProcStat } from "@nohead/supervisor";

/** A QEMU process found by {@link findQemuUnder}. */
export interface FoundQemu {
  pid: number;
  startTicks: string;
}

/**
 * Live `qemu-system-*` processes whose argv mentions a path under `dir`.
 *
 * @example
 * findQemuUnder("/tmp/nohead-bench-x1y2") // => [{ pid: 4242, startTicks: "1234567" }]
 */
export function findQemuUnder(dir: string): FoundQemu[] {
  const prefix = dir.endsWith("/") ? dir : `${dir}/`;
  const found: FoundQemu[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (!argv[0]?.includes("qemu-system") || !argv.some((arg) => arg.includes(prefix))) continue;
      const stat = readProcStat(Number(entry));
      if (stat && stat.state !== "Z") found.push({ pid: Number(entry), startTicks: stat.startTicks });
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

/**
 * Live `qemu-system-*` processes that are not the benchmark's (other work on the machine: noise);
 * every QEMU counts when `dir` is undefined.
 */
export function countForeignQemu(dir?: string): number {
  const prefix = dir === undefined ? undefined : dir.endsWith("/") ? dir : `${dir}/`;
  let count = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (!argv[0]?.includes("qemu-system")) continue;
      if (prefix === undefined || !argv.some((arg) => arg.includes(prefix))) count++;
    } catch {
      // Gone.
    }
  }
  return count;
}

/**
 * Ends every QEMU under `dir`: SIGTERM, then SIGKILL after `graceMs`. Returns the pids it found
 * (an empty list is the expected outcome after a clean stop).
 */
export async function reapQemuUnder(dir: string, graceMs = 3000): Promise<number[]> {
  const found = findQemuUnder(dir);
  for (const { pid } of found) {
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      // Already gone.
    }
  }
  const deadline = performance.now() + graceMs;
  while (found.some((q) => isSameProcessAlive(q.pid, q.startTicks)) && performance.now() < deadline) {
    await Bun.sleep(50);
  }
  for (const q of found) {
    if (!isSameProcessAlive(q.pid, q.startTicks)) continue;
    try {
      process.kill(q.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  return found.map((q) => q.pid);
}

/**
 * Until the returned function is called, SIGINT or SIGTERM (which skip `finally` blocks) kill the
 * benchmark's VMs under `dir` — and only them — then exit 130, saying `what` was interrupted.
 *
 * @example
 * const release = killQemuOnInterrupt(root, "runtime benchmark");
 * try { … } finally { release(); }
 */
export function killQemuOnInterrupt(dir: string, what: string): () => void {
  const interrupted = (signal: NodeJS.Signals) => {
    for (const { pid } of findQemuUnder(dir)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Gone already.
      }
    }
    process.stderr.write(`${what} interrupted (${signal}); killed its VMs, left ${dir}\n`);
    process.exit(130);
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  return () => {
    process.off("SIGINT", interrupted);
    process.off("SIGTERM", interrupted);
  };
}
