/**
 * `nohead status [vm…] [--json]`: state, readiness, health, pid, uptime, ports and init script of
 * each VM, wherever it runs. VMs on this computer are read from their state files (the truth, and
 * fast: no supervisor round trip); VMs on agents are asked to their hosts. A machine recorded on a
 * host the hosts file no longer declares is listed with that problem.
 */
import { notStartedStatus } from "@nohead/supervisor/status-from-state";
import { openFleet } from "../open-fleet.ts";
import { missingHostError, projectHosts, readPlacement } from "../placement.ts";
import type { GlobalOptions } from "../program.ts";
import { supervisorForStatus } from "../status-supervisor.ts";
import { type HostedStatus, printStatuses } from "../status-view.ts";

export async function run([given, options]: unknown[], globals: GlobalOptions): Promise<number> {
  const { json = false } = options as { json?: boolean };
  const fleet = openFleet(globals);
  const wanted = given as string[];
  const names = wanted.length > 0 ? fleet.resolveNames(wanted) : undefined;
  const placement = readPlacement(fleet);
  const statuses: HostedStatus[] = fleet
    .status(names)
    .filter((s) => !(s.name in placement))
    .map((s) => ({ ...s, host: "local" }));
  const elsewhere = new Map<string, string[]>();
  for (const [machine, host] of Object.entries(placement)) {
    if (!names || names.includes(machine)) elsewhere.set(host, [...(elsewhere.get(host) ?? []), machine]);
  }
  const hosts = elsewhere.size > 0 ? projectHosts(fleet) : undefined;
  for (const [hostName, machines] of elsewhere) {
    const unknown = (problem: string) =>
      machines.map((name) => ({ ...notStartedStatus(name, problem), host: hostName }));
    if (!hosts?.declared.has(hostName)) {
      statuses.push(...unknown(missingHostError(fleet, hostName).messageWithHint));
      continue;
    }
    const host = hosts.get(hostName);
    try {
      for (const s of await host.status(machines)) statuses.push({ ...s, host: host.name });
    } catch (error) {
      statuses.push(...unknown(`host ${host.name} did not answer: ${(error as Error).message}`));
    }
  }
  const localRunning = statuses.some((s) => s.host === "local" && s.condition === "running");
  await printStatuses(statuses, { json, supervisor: supervisorForStatus(fleet.project, localRunning) });
  return 0;
}
