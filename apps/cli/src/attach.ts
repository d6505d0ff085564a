/**
 * `--attach`: stay in the foreground with the started VMs — stream their consoles prefixed with
 * their names, report what their watchers in the project's supervisor see (crash, restart,
 * unhealthy, healthy again: each VM's worker applies its restart policy), and stop every one of
 * them on Ctrl-C (or SIGTERM) before exiting. It ends by itself when none of them runs or waits
 * for a restart any more.
 */
import { closeSync, openSync, readSync, statSync } from "node:fs";
import type { VmEvent } from "@nohead/schema";
import type { Fleet } from "@nohead/supervisor";
import pc from "picocolors";
import { hostOf, stopEverywhere } from "./placement.ts";

/** One line for an event worth telling an attached user, or null. */
function describe(event: VmEvent): string | null {
  const name = pc.bold(event.machine);
  const detail = event.detail ? `: ${event.detail}` : "";
  switch (event.type) {
    case "crash":
      return `${pc.red("✖")} ${name}${detail || ": crashed"}`;
    case "restart":
      return `${pc.yellow("↻")} ${name}${detail || ": restarted"}`;
    case "ready":
      return `${pc.green("✔")} ${name}: ready${event.pid ? ` (pid ${event.pid})` : ""}`;
    case "unhealthy":
      return `${pc.red("✖")} ${name}: unhealthy${detail}`;
    case "healthy":
      return `${pc.green("✔")} ${name}: healthy`;
    case "failed":
      return `${pc.red("✖")} ${name}: failed${detail}`;
    case "stop":
      return `${name}: stopped${detail}`;
    default:
      return null;
  }
}

export async function attach(fleet: Fleet, names: string[]): Promise<number> {
  const offsets = new Map(names.map((n) => [n, sizeOf(fleet.consoleLog(n))]));
  const host = hostOf(fleet, names[0] as string);
  const watching = new AbortController();
  let stopping = false;
  const stopAll = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    watching.abort();
    process.stderr.write(`\n${pc.dim(`${signal}: stopping ${names.join(", ")}…`)}\n`);
    const reports = await stopEverywhere(fleet, names);
    for (const r of reports)
      process.stderr.write(`${r.machine}: ${r.ok ? `stopped (${r.method})` : `not stopped: ${r.error}`}\n`);
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.on("SIGINT", () => void stopAll("SIGINT"));
  process.on("SIGTERM", () => void stopAll("SIGTERM"));
  const events = (async () => {
    try {
      for await (const event of host.events({ signal: watching.signal })) {
        const line = !stopping && names.includes(event.machine) ? describe(event) : null;
        if (line) process.stderr.write(`${line}\n`);
      }
    } catch (error) {
      if (!watching.signal.aborted)
        process.stderr.write(`${pc.dim(`events: ${(error as Error).message}`)}\n`);
    }
  })();
  process.stderr.write(pc.dim(`attached to ${names.join(", ")}; Ctrl-C stops them\n`));
  try {
    for (;;) {
      for (const name of names) {
        const offset = offsets.get(name) ?? 0;
        const { text, next } = readFrom(fleet.consoleLog(name), offset);
        offsets.set(name, next);
        for (const line of text.split("\n").filter((l) => l.trim() !== "")) {
          process.stdout.write(`${pc.cyan(name.padEnd(12))} | ${line.replace(/\r/g, "")}\n`);
        }
      }
      // Nothing left to attach to: none runs, and no watcher waits to restart one.
      const statuses = await host.status(names).catch(() => null);
      if (!stopping && statuses?.every((s) => s.condition !== "running" && s.watcherPid === null)) return 1;
      await Bun.sleep(500);
    }
  } finally {
    watching.abort();
    await events;
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
