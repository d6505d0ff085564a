/**
 * `--attach`: stay in the foreground with the started VMs — stream their consoles prefixed with
 * their names, report what their watchers see (crash, restart, unhealthy, healthy again: the
 * fleet is opened supervising, so each VM's worker applies its restart policy), and stop every
 * one of them on Ctrl-C (or SIGTERM) before exiting.
 */
import { closeSync, openSync, readSync, statSync } from "node:fs";
import type { FleetEvent } from "@nohead/schema";
import type { Fleet } from "@nohead/supervisor";
import pc from "picocolors";

/** One line for an event worth telling an attached user, or null. */
function describe(event: FleetEvent): string | null {
  const name = pc.bold(event.machine);
  switch (event.type) {
    case "crash":
      return `${pc.red("✖")} ${name}: ${event.reason}${event.willRestart ? "; restarting (restart policy)" : ""}`;
    case "restart":
      return `${pc.yellow("↻")} ${name}: restart ${event.attempt} after ${(event.delayMs / 1000).toFixed(0)} s`;
    case "ready":
      return `${pc.green("✔")} ${name}: ready (pid ${event.pid})`;
    case "unhealthy":
      return `${pc.red("✖")} ${name}: unhealthy: ${event.reason}`;
    case "healthy":
      return `${pc.green("✔")} ${name}: healthy`;
    case "failed":
      return `${pc.red("✖")} ${name}: restart failed: ${event.reason}`;
    case "stop":
      return `${name}: stopped (${event.reason})`;
    default:
      return null;
  }
}

export async function attach(fleet: Fleet, names: string[]): Promise<number> {
  const offsets = new Map(names.map((n) => [n, sizeOf(fleet.consoleLog(n))]));
  let stopping = false;
  const stopAll = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\n${pc.dim(`${signal}: stopping ${names.join(", ")}…`)}\n`);
    const reports = await fleet.stop(names);
    for (const r of reports)
      process.stderr.write(`${r.machine}: ${r.ok ? `stopped (${r.method})` : `not stopped: ${r.error}`}\n`);
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.on("SIGINT", () => void stopAll("SIGINT"));
  process.on("SIGTERM", () => void stopAll("SIGTERM"));
  fleet.subscribe((event) => {
    const line = !stopping && names.includes(event.machine) ? describe(event) : null;
    if (line) process.stderr.write(`${line}\n`);
  });
  process.stderr.write(pc.dim(`attached to ${names.join(", ")}; Ctrl-C stops them\n`));
  for (;;) {
    for (const name of names) {
      const offset = offsets.get(name) ?? 0;
      const { text, next } = readFrom(fleet.consoleLog(name), offset);
      offsets.set(name, next);
      for (const line of text.split("\n").filter((l) => l.trim() !== "")) {
        process.stdout.write(`${pc.cyan(name.padEnd(12))} | ${line.replace(/\r/g, "")}\n`);
      }
    }
    // Every VM's watch ended (exited and not restarted by its policy): nothing left to attach to.
    if (!stopping && !names.some((n) => fleet.watching().includes(n))) return 1;
    await Bun.sleep(500);
  }
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function readFrom(file: string, offset: number): { text: string; next: number } {
  const size = sizeOf(file);
  if (size <= offset) return { text: "", next: size < offset ? 0 : offset };
  const fd = openSync(file, "r");
  try {
    const buffer = Buffer.alloc(Math.min(size - offset, 1 << 20));
    const read = readSync(fd, buffer, 0, buffer.length, offset);
    return { text: buffer.subarray(0, read).toString("utf8"), next: offset + read };
  } finally {
    closeSync(fd);
  }
}
