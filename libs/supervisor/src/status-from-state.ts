/**
 * A VM's status from its state file's content, reconciled with /proc: the same pid AND start time
 * alive means running; gone without a recorded stop means crashed. No schema library is imported
 * here, so `status` can use it on its fast path.
 */
import type { BoundForward, HealthResult, HealthStatus, Readiness, VmStateFile } from "@nohead/schema";
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
  initScript: string | null;
  /** Why it failed, or what went wrong reading its state. */
  error: string | null;
  stoppedBy: string | null;
  username: string | null;
  /**
   * Live health, kept by the VM's watcher: null when it has no checks, is not running, or no
   * process watches it (the last results in `health` may then be old).
   */
  healthStatus: HealthStatus | null;
  /**
   * Whether its health checks pass, as the process watching it says: null when it is not running,
   * has no checks, is still starting, or no live process watches it (then unknown, not a stale
   * verdict).
   */
  healthy: boolean | null;
  /** When its health checks last ran (ISO 8601; at readiness when no watcher ran them), or null. */
  lastHealthCheck: string | null;
  /** Restarts by the restart policy since the VM was started. */
  restarts: number;
  /**
   * The pid of the process whose worker watches it, when that process lives — also while its QEMU
   * is down and the restart policy is about to start it again.
   */
  watcherPid: number | null;
}

/** The status of the VM whose (validated or peeked) state is `state`. */
export function statusFromState(state: VmStateFile, now: number): VmStatus {
  const alive = state.pid !== null && isSameProcessAlive(state.pid, state.processStartTicks);
  const watcher = state.watcher ?? null;
  // A live watcher of a VM whose QEMU is down is about to restart it (its policy says so).
  const watcherLives = watcher !== null && isSameProcessAlive(watcher.pid, watcher.startTicks);
  const healthStatus = alive && watcherLives ? (state.healthStatus ?? null) : null;
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
    initScript: state.initScript,
    error:
      condition === "crashed"
        ? `QEMU (pid ${state.pid}) is gone without a stop${state.failure ? `: ${state.failure}` : ""}; last readiness ${state.readiness}`
        : state.failure,
    stoppedBy: state.stop?.method ?? null,
    username: state.username,
    healthStatus,
    healthy: healthStatus === "healthy" ? true : healthStatus === "unhealthy" ? false : null,
    lastHealthCheck: state.lastHealthCheck ?? (state.health.length > 0 ? state.readyAt : null),
    restarts: state.restarts ?? 0,
    watcherPid: watcherLives ? (watcher?.pid ?? null) : null,
  };
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
    initScript: null,
    error,
    stoppedBy: null,
    username: null,
    healthStatus: null,
    healthy: null,
    lastHealthCheck: null,
    restarts: 0,
    watcherPid: null,
  };
}
