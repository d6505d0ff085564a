/**
 * One VM's process: the runner's inputs (Contract 2), launch, QMP and guest-agent clients,
 * host-port checks, health probes, readiness levels, graceful stop, and the disk's record; and
 * the private directories and owned Unix sockets those clients (and nohead's own servers) rely on.
 */
export * from "./disk-record.ts";
export * from "./display-env.ts";
export * from "./guest-agent-client.ts";
export * from "./health-checks.ts";
export * from "./host-port.ts";
export * from "./identity-kernel-params.ts";
export * from "./json-line-socket.ts";
export * from "./launch.ts";
export * from "./owned-socket.ts";
export * from "./private-directory.ts";
export * from "./qemu-args.ts";
export * from "./qemu-errors.ts";
export * from "./qemu-exit.ts";
export * from "./qmp-client.ts";
export * from "./qmp-message.ts";
export * from "./readiness.ts";
export * from "./stop-vm.ts";
export * from "./stream-exec.ts";
export * from "./usernet-forwards.ts";
