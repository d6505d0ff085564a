/**
 * Where this project's machines run: `.nohead/placement.json` records the agent each machine was
 * started on, so later commands (status, stop, exec, logs, destroy) reach it there. Machines not
 * recorded run on this computer. The hosts library is loaded only when a machine runs elsewhere,
 * so purely local projects pay nothing for it.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Host } from "@nohead/hosts";
import type { Fleet, StopReport } from "@nohead/supervisor";

const LOCAL = "local";

function placementFile(fleet: Fleet): string {
  return join(fleet.project.stateDir, "placement.json");
}

/** machine → host name, for machines started on an agent. */
export function readPlacement(fleet: Fleet): Record<string, string> {
  const file = placementFile(fleet);
  if (!existsSync(file)) return {};
  try {
    const value = JSON.parse(readFileSync(file, "utf8")) as unknown;
    return typeof value === "object" && value !== null ? (value as Record<string, string>) : {};
  } catch {
    return {};
  }
}

/** Records that `machines` run on `host` ("local" removes them from the record). */
export function recordPlacement(fleet: Fleet, host: string, machines: string[]): void {
  const placement = readPlacement(fleet);
  for (const m of machines) {
    if (host === LOCAL) delete placement[m];
    else placement[m] = host;
  }
  const file = placementFile(fleet);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(placement, null, 2)}\n`);
  renameSync(tmp, file);
}

/** The host running `name`: its agent when recorded, else null (this computer). */
export async function remoteHostOf(fleet: Fleet, name: string): Promise<Host | null> {
  const host = readPlacement(fleet)[name];
  if (!host) return null;
  const { openHosts } = await import("@nohead/hosts");
  return openHosts(fleet).get(host);
}

/** The agents this project's machines run on, each with its machines. */
export async function remoteGroups(
  fleet: Fleet,
  names?: string[],
): Promise<{ host: Host; machines: string[] }[]> {
  const placement = readPlacement(fleet);
  const byHost = new Map<string, string[]>();
  for (const [machine, host] of Object.entries(placement)) {
    if (names && !names.includes(machine)) continue;
    byHost.set(host, [...(byHost.get(host) ?? []), machine]);
  }
  if (byHost.size === 0) return [];
  const { openHosts } = await import("@nohead/hosts");
  const hosts = openHosts(fleet);
  return [...byHost.entries()].map(([host, machines]) => ({ host: hosts.get(host), machines }));
}

/**
 * Stops `names` wherever they run (default: every running VM of this project, here and on
 * agents), in parallel.
 */
export async function stopEverywhere(
  fleet: Fleet,
  names: string[] | undefined,
  options: { powerdownMs?: number } = {},
): Promise<StopReport[]> {
  const remote = await remoteGroups(fleet, names);
  const remoteNames = new Set(remote.flatMap((g) => g.machines));
  const local = names
    ? names.filter((n) => !remoteNames.has(n))
    : fleet.running().filter((n) => !remoteNames.has(n));
  const reports = await Promise.all([
    fleet.stop(local, options),
    ...remote.map(async ({ host, machines }) => {
      try {
        return await host.stop(machines);
      } catch (error) {
        return machines.map((machine) => ({
          machine,
          ok: false,
          method: null,
          durationMs: 0,
          error: `host ${host.name}: ${(error as Error).message}`,
        }));
      }
    }),
  ]);
  return reports.flat();
}
