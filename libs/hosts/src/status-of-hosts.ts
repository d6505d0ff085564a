/**
 * One status for a fleet spread over hosts: every host asked in parallel, each VM tagged with its
 * host, and a host that cannot answer reported as such instead of hiding the others.
 */
import type { VmStatus } from "@nohead/supervisor";
import type { Host } from "./host.ts";

export type HostVmStatus = VmStatus & { host: string };

export interface FleetStatus {
  vms: HostVmStatus[];
  /** Hosts that did not answer, with why. */
  unreachable: { host: string; error: string }[];
}

/**
 * The merged status of `hosts`, VMs sorted by name.
 *
 * @example
 * const { vms, unreachable } = await statusOfHosts([local, lab]);
 */
export async function statusOfHosts(hosts: Host[]): Promise<FleetStatus> {
  const answers = await Promise.allSettled(hosts.map((h) => h.status()));
  const vms: HostVmStatus[] = [];
  const unreachable: FleetStatus["unreachable"] = [];
  answers.forEach((answer, i) => {
    const host = (hosts[i] as Host).name;
    if (answer.status === "fulfilled") vms.push(...answer.value.map((vm) => ({ ...vm, host })));
    else
      unreachable.push({
        host,
        error: answer.reason instanceof Error ? answer.reason.message : String(answer.reason),
      });
  });
  vms.sort((a, b) => a.name.localeCompare(b.name) || a.host.localeCompare(b.host));
  return { vms, unreachable };
}
