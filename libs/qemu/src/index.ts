/**
 * One VM's process: the runner's inputs (Contract 2), launch, QMP and guest-agent clients,
 * host-port checks, health probes, readiness levels, graceful stop, and the disk's record.
 */
export * from "./disk-record.ts";
export * from "./guest-agent-client.ts";
export * from "./health-checks.ts";
export * from "./host-port.ts";
export * from "./json-line-socket.ts";
export * from "./launch.ts";
export * from "./qemu-args.ts";
export * from "./qemu-errors.ts";
export * from "./qemu-exit.ts";
export * from "./qmp-client.ts";
export * from "./qmp-message.ts";
export * from "./readiness.ts";
export * from "./stop-vm.ts";
export * from "./usernet-forwards.ts";
