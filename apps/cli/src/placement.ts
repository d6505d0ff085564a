/**
 * Where this project's machines run, and the Host that reaches each: `.nohead/placement.json`
 * records the agent each machine was started on; machines not recorded run on this computer,
 * through the project's supervisor. Every command that acts on a VM asks here, so none of them
 * branches on local or remote. A machine recorded on a host the hosts file no longer declares is
 * a clear error naming every machine recorded there, never a silent start on this computer.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type Host, type HostDirectory, LOCAL_HOST, openHosts } from "@nohead/hosts";
import { NoheadError } from "@nohead/schema";
import { writeJsonAtomic } from "@nohead/schema/write-json-atomic";
import {
  type Fleet,
  knownVmNames,
  liveSupervisor,
  notRunningReport,
  type StopReport,
} from "@nohead/supervisor";
import { agentServeCommand, supervisorCommand } from "./supervisor-command.ts";

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

/**
 * Records that `machines` run on `host` ("local" removes them from the record). An empty record
 * is no file: `status` takes its fast path only for projects without one.
 */
export function recordPlacement(fleet: Fleet, host: string, machines: string[]): void {
  const placement = readPlacement(fleet);
  for (const m of machines) {
    if (host === LOCAL_HOST) delete placement[m];
    else placement[m] = host;
  }
  const file = placementFile(fleet);
  if (Object.keys(placement).length === 0) {
    rmSync(file, { force: true });
    return;
  }
  writeJsonAtomic(file, placement);
}

/** The hosts of the fleet's project: its supervisor, the declared agents and Slurm clusters. */
export function projectHosts(fleet: Fleet): HostDirectory {
  return openHosts(fleet.project, { supervise: supervisorCommand(), agentServe: agentServeCommand() });
}

/** The error for machines recorded on `host`, which the hosts file no longer declares. */
export function missingHostError(fleet: Fleet, host: string): NoheadError {
  const stranded = Object.entries(readPlacement(fleet))
    .filter(([, h]) => h === host)
    .map(([m]) => m)
    .sort();
  const one = stranded.length === 1;
  return new NoheadError(
    "config",
    `host ${host} is not in the hosts file any more, but ${stranded.join(", ")} ${one ? "is" : "are"} recorded as running there`,
    {
      hint:
        `declare ${host} again in the hosts file (docs/hosts.md) to reach ${one ? "it" : "them"}; ` +
        `if ${one ? "that VM is" : "those VMs are"} gone, release ${one ? "it" : "them"} by deleting ` +
        `${one ? "its entry" : "their entries"} from ${placementFile(fleet)}`,
    },
  );
}

/** The host name recorded for `name` ("local" when none). */
function hostNameOf(fleet: Fleet, name: string): string {
  return readPlacement(fleet)[name] ?? LOCAL_HOST;
}

/**
 * The Host running `name`: a missing host is {@link missingHostError}; a machine that never ran
 * is a conflict (no host knows it).
 */
export function hostOf(fleet: Fleet, name: string, hosts = projectHosts(fleet)): Host {
  if (neverRan(fleet, name)) {
    throw new NoheadError("conflict", "is not running (not-started)", {
      machine: name,
      hint: `start it with \`nohead run ${name}\``,
    });
  }
  const host = hostNameOf(fleet, name);
  if (host !== LOCAL_HOST && !hosts.declared.has(host)) throw missingHostError(fleet, host);
  return hosts.get(host);
}

/** `names` grouped by the Host each runs on (a missing host is {@link missingHostError}). */
export function byHost(
  fleet: Fleet,
  names: string[],
  hosts = projectHosts(fleet),
): { host: Host; machines: string[] }[] {
  const groups = new Map<string, string[]>();
  for (const name of names) {
    const host = hostNameOf(fleet, name);
    groups.set(host, [...(groups.get(host) ?? []), name]);
  }
  return [...groups.values()].map((machines) => ({
    host: hostOf(fleet, machines[0] as string, hosts),
    machines,
  }));
}

/**
 * Whether machine `name` never ran anywhere: no host recorded and no state here. Such a machine
 * has nothing to stop or destroy, and no host knows it (a host answers not-found).
 */
export function neverRan(fleet: Fleet, name: string): boolean {
  return !(name in readPlacement(fleet)) && !knownVmNames(fleet.project).includes(name);
}

/**
 * Stops `names` wherever they run (default: every VM of this project: on this computer, those
 * running and those the supervisor is still starting; on agents, every machine recorded there),
 * in parallel; a host that fails becomes failed reports for its machines. While the supervisor
 * runs, machines of this computer always go to it, even one with no state yet: it may be queued
 * in a start (waiting for its dependencies), and the stop must end that start.
 */
export async function stopEverywhere(
  fleet: Fleet,
  names: string[] | undefined,
  options: { powerdownMs?: number } = {},
): Promise<StopReport[]> {
  const placement = readPlacement(fleet);
  const supervised = liveSupervisor(fleet.project) !== null;
  const hosts = projectHosts(fleet);
  const onAgents = (names ?? Object.keys(placement)).filter((n) => n in placement);
  const here = names?.filter((n) => !(n in placement));
  const idle = (here ?? []).filter((n) => !supervised && neverRan(fleet, n));
  const groups = byHost(fleet, onAgents, hosts).map(({ host, machines }) => ({
    host,
    machines: machines as string[] | undefined,
  }));
  if (here ? here.length > idle.length : supervised || fleet.running().length > 0) {
    // Without names the supervisor stops what it runs and what it is starting.
    groups.unshift({ host: hosts.get(LOCAL_HOST), machines: here?.filter((n) => !idle.includes(n)) });
  }
  const reports = await Promise.all(
    groups.map(async ({ host, machines }) => {
      try {
        return await host.stop(machines, options);
      } catch (error) {
        return (machines ?? fleet.running()).map((machine) => ({
          machine,
          ok: false,
          method: null,
          durationMs: 0,
          error: (error as Error).message,
        }));
      }
    }),
  );
  return [...idle.map(notRunningReport), ...reports.flat()];
}
