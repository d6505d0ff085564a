/**
 * `--attach`: stay in the foreground with the started VMs — stream their consoles prefixed with
 * their names, report what their watchers see (crash, restart, unhealthy, healthy again: each
 * VM's worker applies its restart policy), and stop every one of them on Ctrl-C (or SIGTERM)
 * before exiting. It ends by itself when none of them runs or waits for a restart any more.
 * Everything goes through each VM's Host (consoles as `logs -f` reads them, events, status), so
 * VMs on agents are attached to the same way as this computer's.
 */
import type { Host } from "@nohead/hosts";
import type { VmEvent } from "@nohead/schema";
import type { Fleet } from "@nohead/supervisor";
import pc from "picocolors";
import { byHost, stopEverywhere } from "./placement.ts";

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

/** Prints `name`'s console lines from now on, as its host streams them, until `signal` aborts. */
async function streamConsole(host: Host, name: string, signal: AbortSignal): Promise<void> {
  try {
    for await (const line of host.logs(name, { follow: true, lines: 0, signal })) {
      if (line.trim() !== "") process.stdout.write(`${pc.cyan(name.padEnd(12))} | ${line}\n`);
    }
  } catch (error) {
    if (!signal.aborted) process.stderr.write(`${pc.dim(`${name}: console: ${(error as Error).message}`)}\n`);
  }
}

/** Prints the events of `machines` on `host` worth telling, until `signal` aborts. */
async function tellEvents(
  host: Host,
  machines: string[],
  signal: AbortSignal,
  quiet: () => boolean,
): Promise<void> {
  try {
    for await (const event of host.events({ signal })) {
      const line = !quiet() && machines.includes(event.machine) ? describe(event) : null;
      if (line) process.stderr.write(`${line}\n`);
    }
  } catch (error) {
    if (!signal.aborted) process.stderr.write(`${pc.dim(`events: ${(error as Error).message}`)}\n`);
  }
}

export async function attach(fleet: Fleet, names: string[]): Promise<number> {
  const groups = byHost(fleet, names);
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
  const { signal } = watching;
  const streams = groups.flatMap(({ host, machines }) => [
    tellEvents(host, machines, signal, () => stopping),
    ...machines.map((name) => streamConsole(host, name, signal)),
  ]);
  process.stderr.write(pc.dim(`attached to ${names.join(", ")}; Ctrl-C stops them\n`));
  try {
    for (;;) {
      await Bun.sleep(500);
      // Nothing left to attach to: none runs, and no watcher waits to restart one.
      const statuses = await Promise.all(groups.map(({ host, machines }) => host.status(machines))).catch(
        () => null,
      );
      const idle = statuses?.flat().every((s) => s.condition !== "running" && s.watcherPid === null);
      if (!stopping && idle) return 1;
    }
  } finally {
    watching.abort();
    await Promise.all(streams);
  }
}
