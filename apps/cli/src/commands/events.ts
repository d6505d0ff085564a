/**
 * `nohead events [--json]`: what happens to this project's VMs from now on — start, ready,
 * healthy, unhealthy, restart, crash, failed, stop — as each host streams it (the project's
 * supervisor here, the agents its machines were placed on), one line per event, until Ctrl-C.
 * `--json` prints one JSON object per line (JSON Lines), with the host added.
 */
import type { Host } from "@nohead/hosts";
import type { VmEvent } from "@nohead/schema";
import pc from "picocolors";
import { openFleet } from "../open-fleet.ts";
import { missingHostError, projectHosts, readPlacement } from "../placement.ts";
import type { GlobalOptions } from "../program.ts";

const COLOURS: Record<VmEvent["type"], (s: string) => string> = {
  start: pc.cyan,
  ready: pc.green,
  healthy: pc.green,
  unhealthy: pc.yellow,
  restart: pc.yellow,
  crash: pc.red,
  failed: pc.red,
  stop: pc.dim,
};

/** One event as a line: time, host (when not this computer), machine, type, pid, detail. */
export function eventLine(event: VmEvent, host: string): string {
  const where = host === "local" ? "" : `${host}/`;
  const pid = event.pid ? ` pid ${event.pid}` : "";
  return `${pc.dim(event.at)} ${where}${pc.bold(event.machine)} ${COLOURS[event.type](event.type)}${pid}${event.detail ? ` ${pc.dim(event.detail)}` : ""}`;
}

export async function run([options]: unknown[], globals: GlobalOptions): Promise<number> {
  const { json = false } = options as { json?: boolean };
  const fleet = openFleet(globals);
  const hosts = projectHosts(fleet);
  const placement = readPlacement(fleet);
  // An agent runs other projects' VMs too: from it, only the machines this project placed there.
  const watched: { host: Host; mine: (machine: string) => boolean }[] = [
    { host: hosts.get("local"), mine: (machine) => !(machine in placement) },
  ];
  for (const name of new Set(Object.values(placement))) {
    if (hosts.declared.has(name)) watched.push({ host: hosts.get(name), mine: (m) => placement[m] === name });
    else process.stderr.write(`${pc.yellow("warning:")} ${missingHostError(fleet, name).message}\n`);
  }
  const stop = new AbortController();
  process.once("SIGINT", () => stop.abort());
  process.once("SIGTERM", () => stop.abort());
  const print = (event: VmEvent, host: string) =>
    process.stdout.write(json ? `${JSON.stringify({ ...event, host })}\n` : `${eventLine(event, host)}\n`);
  await Promise.all(
    watched.map(async ({ host, mine }) => {
      try {
        for await (const event of host.events({ signal: stop.signal })) {
          if (mine(event.machine)) print(event, host.name);
        }
      } catch (error) {
        if (stop.signal.aborted) return;
        process.stderr.write(`${pc.red("✖")} host ${host.name}: ${(error as Error).message}\n`);
      }
    }),
  );
  return 0;
}
