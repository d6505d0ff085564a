/**
 * nohead's runtime, shared by the CLI and the agent: the fleet API, per-VM state and locks, the
 * worker pool that starts VMs (dependencies first), and status reconciled with reality.
 */
export * from "./console-follow.ts";
export * from "./console-tail.ts";
export * from "./fleet.ts";
export * from "./fleet-events.ts";
export * from "./private-network.ts";
export * from "./process-identity.ts";
export * from "./project.ts";
export * from "./releasing-progress.ts";
export * from "./running-vms.ts";
export * from "./ssh-identity.ts";
export * from "./supervisor-process.ts";
export * from "./start-vm.ts";
export * from "./state-store.ts";
export * from "./terminal-controls.ts";
export * from "./vm-lock.ts";
export * from "./vm-pool.ts";
export * from "./vm-status.ts";
export * from "./write-state.ts";
