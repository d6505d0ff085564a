/**
 * `--attach`: stay in the foreground with the started VMs — stream their consoles prefixed with
 * their names, restart a crashed VM when the policy says so, and stop every one of them on
 * Ctrl-C (or SIGTERM) before exiting.
 */
import { closeSync, openSync, readSync, statSync } from "node:fs";
import type { Fleet } from "@nohead/supervisor";
import pc from "picocolors";

export async function attach(
  fleet: Fleet,
  names: string[],
  { restart = "no" }: { restart?: "no" | "on-failure" },
): Promise<number> {
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
    if (!stopping) {
      for (const status of fleet.status(names)) {
        if (status.condition !== "crashed" && status.condition !== "failed") continue;
        if (restart === "no") {
          process.stderr.write(`${pc.red("✖")} ${status.name}: ${status.error}\n`);
          names.splice(names.indexOf(status.name), 1);
          continue;
        }
        process.stderr.write(
          `${pc.yellow("↻")} ${status.name}: ${status.error}; restarting (--restart on-failure)\n`,
        );
        const [result] = await fleet.start([status.name]);
        if (!result?.ok)
          process.stderr.write(`${pc.red("✖")} ${status.name}: restart failed: ${result?.error}\n`);
      }
      if (names.length === 0) return 1;
    }
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
