/**
 * A VM's status from its state file's content, reconciled with /proc: the same pid AND start time
 * alive means running; gone without a recorded stop means crashed. No schema library is imported
 * here, so `status` can use it on its fast path.
 */
import type { BoundForward, HealthResult, Readiness, VmState } from "@nohead/schema";
import { isSameProcessAlive } from "./process-identity.ts";

export type VmCondition = "running" | "stopped" | "crashed" | "failed" | "not-started";

export interface VmStatus {
  name: string;
  condition: VmCondition;
  /** The last readiness level reached. */
  readiness: Readiness | null;
  pid: number | null;
  uptimeSeconds: number | null;
  forwards: BoundForward[];
  health: HealthResult[];
  /**
   * Whether its health checks pass: null when it is not running, has no checks, or its checks
   * have not given a verdict yet (still starting).
   */
  healthy: boolean | null;
  /** When its health checks last ran (ISO 8601), or null. */
  lastHealthCheck: string | null;
  initScript: string | null;
  /** Why it failed, or what went wrong reading its state. */
  error: string | null;
  stoppedBy: string | null;
  username: string | null;
}

/** The status of the VM whose (validated or peeked) state is `state`. */
export function statusFromState(state: VmState, now: number): VmStatus {
  const alive = state.pid !== null && isSameProcessAlive(state.pid, state.processStartTicks);
  const condition: VmCondition = alive
    ? "running"
    : state.readiness === "stopped"
      ? "stopped"
      : state.readiness === "failed"
        ? "failed"
        : "crashed";
  return {
    name: state.name,
    condition,
    readiness: state.readiness,
    pid: alive ? state.pid : null,
    uptimeSeconds: alive ? Math.max(0, Math.round((now - Date.parse(state.startedAt)) / 1000)) : null,
    forwards: state.forwards,
    health: state.health,
    healthy: alive ? healthOf(state) : null,
    lastHealthCheck: state.lastHealthCheck ?? (state.health.length > 0 ? state.readyAt : null),
    initScript: state.initScript,
    error:
      condition === "crashed"
        ? `QEMU (pid ${state.pid}) is gone without a stop; last readiness ${state.readiness}`
        : state.failure,
    stoppedBy: state.stop?.method ?? null,
    username: state.username,
  };
}

/**
 * The health verdict of a running VM: the periodic checks' status when a watcher wrote one, else
 * the checks its start ran (passing once it reached ready).
 */
function healthOf(state: VmState): boolean | null {
  if (state.health.length === 0) return null;
  if (state.healthStatus) return state.healthStatus === "starting" ? null : state.healthStatus === "healthy";
  if (state.readiness === "ready") return state.health.every((h) => h.ok);
  return state.readiness === "failed" ? false : null;
}

/** The status of a machine with no state: never started here (or, with `error`, unknown). */
export function notStartedStatus(name: string, error: string | null = null): VmStatus {
  return {
    name,
    condition: "not-started",
    readiness: null,
    pid: null,
    uptimeSeconds: null,
    forwards: [],
    health: [],
    healthy: null,
    lastHealthCheck: null,
    initScript: null,
    error,
    stoppedBy: null,
    username: null,
  };
}
