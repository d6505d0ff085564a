/**
 * The agent's runtime in its state dir: the project whose `vms/` hold the VMs' state, and the
 * machines it was given (`manifest.json`). Opening the same state dir again — after a crash, a
 * restart, an upgrade — gives back the same VMs: they run on, detached, and their state says
 * where to find them.
 */
import { resolve } from "node:path";
import { ensureStateDir, Fleet, projectAt } from "@nohead/supervisor";
import { MachineStore } from "./machine-store.ts";

/**
 * The fleet and machine store of the agent whose state lives in `stateDir`.
 *
 * @example
 * const { fleet, machines } = openAgentFleet("/var/lib/nohead-agent");
 * createApp({ fleet, machines, token, version });
 */
export function openAgentFleet(stateDir: string): { fleet: Fleet; machines: MachineStore } {
  const dir = resolve(stateDir);
  const project = projectAt(dir, dir);
  // Created 0700 and checked: it holds the key every guest trusts and the VMs' disks.
  ensureStateDir(project);
  const machines = new MachineStore(dir);
  return { fleet: new Fleet(project, dir, machines.manifest, { supervise: true }), machines };
}
