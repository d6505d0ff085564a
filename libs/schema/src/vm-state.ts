/**
 * The per-VM state file (`.nohead/vms/<name>/state.json`): what a running VM's supervisor wrote,
 * so any later command (or the agent) can find, check and stop it. Written atomically.
 */
import { z } from "zod";
import { Forward, Health, MachineName, RestartPolicy, UserName } from "./manifest.ts";

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

/**
 * A watched VM's health after its start: `starting` until ready, then `healthy` or `unhealthy`
 * (its checks failed `retries` runs in a row).
 */
export const HealthStatus = z.enum(["starting", "healthy", "unhealthy"]);
export type HealthStatus = z.infer<typeof HealthStatus>;

/** A process, identified by pid and start time (clock ticks since boot, /proc/pid/stat). */
export const ProcessRef = z.strictObject({
  pid: z.number().int().positive(),
  startTicks: z.string().nullable(),
});
export type ProcessRef = z.infer<typeof ProcessRef>;

/**
 * What the VM's watcher needs to keep watching it, and to restart it, from any process: the
 * checks and policy it was started with and the runner's invocation (Contract 2).
 */
export const Supervision = z.strictObject({
  health: Health,
  restart: RestartPolicy,
  forwards: z.array(Forward).describe("As declared (null host ports are allocated again at a restart)"),
  invocation: z.strictObject({ args: z.array(z.string()), env: z.record(z.string(), z.string()) }),
});
export type Supervision = z.infer<typeof Supervision>;

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
  failure: z.string().nullable(),
  stop: z.strictObject({ method: StopMethod, at: z.iso.datetime(), durationMs: z.number() }).nullable(),
  // Written by the VM's watcher (absent in state files of older versions: defaults apply).
  healthStatus: HealthStatus.nullable().default(null).describe("null: no checks declared, or never watched"),
  lastHealthCheck: z.iso.datetime().nullable().default(null),
  healthFailures: z.number().int().min(0).default(0).describe("Failing runs of the checks in a row"),
  restarts: z.number().int().min(0).default(0).describe("Restarts by the restart policy since the start"),
  watcher: ProcessRef.nullable().default(null).describe("The process whose worker watches the VM"),
  supervision: Supervision.nullable().default(null),
});
export type VmState = z.infer<typeof VmState>;
/** What a state file may hold: files of older versions lack the watcher's fields (defaults apply). */
export type VmStateFile = z.input<typeof VmState>;
