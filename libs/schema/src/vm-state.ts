/**
 * The per-VM state file (`.nohead/vms/<name>/state.json`): what a running VM's supervisor wrote,
 * so any later command (or the agent) can find, check and stop it. Written atomically.
 */
import { z } from "zod";
import { MachineName, UserName } from "./manifest.ts";

/** How far a VM got: the readiness levels (docs/runtime.md#readiness) plus the ends. */
export const Readiness = z.enum(["starting", "started", "booted", "ready", "failed", "stopped"]);
export type Readiness = z.infer<typeof Readiness>;

/** What ended a stop: the escalation step that made the process go away. */
export const StopMethod = z.enum([
  "powerdown",
  "guest-shutdown",
  "quit",
  "sigterm",
  "sigkill",
  "already-stopped",
]);
export type StopMethod = z.infer<typeof StopMethod>;

export const BoundForward = z.strictObject({
  name: z.string(),
  protocol: z.enum(["tcp", "udp"]),
  guestPort: z.number().int(),
  hostPort: z.number().int().describe("The port actually bound (allocated ones resolved)"),
  hostAddress: z.string(),
});
export type BoundForward = z.infer<typeof BoundForward>;

export const HealthResult = z.strictObject({
  check: z.string().describe('e.g. "ssh", "tcp:80", "command", "init-script"'),
  ok: z.boolean(),
  detail: z.string(),
});
export type HealthResult = z.infer<typeof HealthResult>;

/** Compose's health states: checks not yet passed since the start, passing, failing. */
export const HealthStatus = z.enum(["starting", "healthy", "unhealthy"]);
export type HealthStatus = z.infer<typeof HealthStatus>;

export const VmState = z.strictObject({
  schemaVersion: z.literal(1),
  name: MachineName,
  /** QEMU's pid (the runner execs QEMU) and its start time in clock ticks since boot (/proc/pid/stat). */
  pid: z.number().int().positive().nullable(),
  processStartTicks: z.string().nullable(),
  startedAt: z.iso.datetime(),
  runner: z.string(),
  system: z.string(),
  username: UserName,
  display: z.enum(["none", "window"]),
  forwards: z.array(BoundForward),
  sockets: z.strictObject({ qmp: z.string(), guestAgent: z.string(), console: z.string() }),
  consoleLog: z.string(),
  disk: z.string(),
  readiness: Readiness,
  readyAt: z.iso.datetime().nullable(),
  health: z.array(HealthResult),
  initScript: z.string().nullable().describe('Guest /run/nohead/init-status: "started", "exited 0", …'),
  /**
   * The verdict of the latest periodic health check (the worker that watches the VM for life
   * writes it); absent in states written before that, where the readiness checks are the latest.
   */
  healthStatus: HealthStatus.nullable().optional(),
  /** When the health checks last ran (ISO 8601); absent: at readiness (`readyAt`). */
  lastHealthCheck: z.iso.datetime().nullable().optional(),
  failure: z.string().nullable(),
  stop: z.strictObject({ method: StopMethod, at: z.iso.datetime(), durationMs: z.number() }).nullable(),
});
export type VmState = z.infer<typeof VmState>;
