/**
 * Identifies a process by pid AND start time, so a pid reused by another program after a VM died
 * is never mistaken for the VM. Linux: reads /proc/<pid>/stat.
 */
import { readdirSync, readFileSync } from "node:fs";

/** Fields of /proc/<pid>/stat we use; null when the process does not exist. */
export function readProcStat(pid: number): { state: string; startTicks: string } | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const state = rest[0];
  const startTicks = rest[19]; // field 22 overall
  return state && startTicks ? { state, startTicks } : null;
}

/**
 * Whether the process `pid` that started at `startTicks` is still alive (a zombie is not).
 *
 * @example
 * isSameProcessAlive(state.pid, state.processStartTicks) // false after the VM exited or the pid was reused
 */
export function isSameProcessAlive(pid: number, startTicks: string | null): boolean {
  const stat = readProcStat(pid);
  if (!stat || stat.state === "Z" || stat.state === "X") return false;
  return startTicks === null || stat.startTicks === startTicks;
}

/**
 * The pid of a live process whose command line holds `argument` (a VM's unique socket path),
 * or null. Used only to recover from a lost state file.
 */
export function findQemuByArgument(argument: string): number | null {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (cmdline.includes(argument) && cmdline.includes("qemu-system")) {
        const stat = readProcStat(Number(entry));
        if (stat && stat.state !== "Z") return Number(entry);
      }
    } catch {
      // The process ended while we looked: not ours to report.
    }
  }
  return null;
}
