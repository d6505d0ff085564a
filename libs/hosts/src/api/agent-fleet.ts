/**
 * The agent's runtime in its state dir: the project whose `vms/` hold the VMs' state, and the
 * machines it was given (`manifest.json`). Opening the same state dir again — after a crash, a
 * restart, an upgrade — gives back the same VMs: they run on, detached, and their state says
 * where to find them.
 */
import { resolve } from "node:path";
import { NoheadError } from "@nohead/schema";
import { ensureStateDir, Fleet, projectAt } from "@nohead/supervisor";
import { MachineStore } from "./machine-store.ts";

/** What a project id looks like (8 hex digits): it names the project's private network. */
export const NETWORK_ID = /^[0-9a-f]{8}$/;

/**
 * The fleet and machine store of the agent whose state lives in `stateDir`. With `networkId` (a
 * client project's id: Slurm pilot agents) its VMs join that project's private network rather
 * than the state dir's own, so the VMs of every agent of that project on one node share it.
 *
 * @example
 * const { fleet, machines } = openAgentFleet("/var/lib/nohead-agent");
 * createApp({ fleet, machines, token, version });
 */
export function openAgentFleet(
  stateDir: string,
  { networkId }: { networkId?: string } = {},
): { fleet: Fleet; machines: MachineStore } {
  const dir = resolve(stateDir);
  if (networkId !== undefined && !NETWORK_ID.test(networkId)) {
    throw new NoheadError("usage", `--network-id must be 8 hex digits (a project id), not "${networkId}"`);
  }
  // The id names the private network (and the SSH key's comment); sockets stay under the state
  // dir's own runtime directory.
  const project = { ...projectAt(dir, dir), ...(networkId ? { id: networkId } : {}) };
  // Created 0700 and checked: it holds the key every guest trusts and the VMs' disks.
  ensureStateDir(project);
  const machines = new MachineStore(dir);
  return { fleet: new Fleet(project, dir, machines.manifest, { supervise: true }), machines };
}
