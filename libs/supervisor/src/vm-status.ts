/**
 * What a VM is doing now, reconciled with reality: the state file says what the supervisor last
 * knew, /proc says whether that process (same pid AND start time) still lives. A VM whose process
 * is gone without a recorded stop is `crashed`, never `running`. Reads files only, so `status`
 * stays fast with many VMs.
 */
import type { BoundForward, HealthResult, Readiness, VmState } from "@nohead/schema";
import { isSameProcessAlive } from "./process-identity.ts";
import type { Project } from "./project.ts";
import { findQemuByArgument, readState } from "./state-store.ts";
import { vmPaths } from "./project.ts";

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
  problem: string | null;
  stoppedBy: string | null;
  username: string | null;
}

const notStarted = (name: string, problem: string | null = null): VmStatus => ({
  name,
  condition: "not-started",
  readiness: null,
  pid: null,
  uptimeSeconds: null,
  forwards: [],
  health: [],
  initScript: null,
  problem,
  stoppedBy: null,
  username: null,
});

/** The reconciled status of `name` in `project`. */
export function vmStatus(project: Project, name: string, now = Date.now()): VmStatus {
  const paths = vmPaths(project, name);
  const read = readState(paths);
  if (read.kind === "missing") {
    // A state file moved aside (corrupt) or lost: the VM may still run; its QMP socket finds it.
    const pid = findQemuByArgument(paths.qmp);
    return pid
      ? {
          ...notStarted(name, "no state file; QEMU found running by its QMP socket"),
          condition: "running",
          pid,
        }
      : notStarted(name);
  }
  if (read.kind === "corrupt") {
    const problem = `state file was corrupt (${read.reason}); moved to ${read.movedTo}`;
    return read.recoveredPid
      ? {
          ...notStarted(name, `${problem}; QEMU found running by its QMP socket`),
          condition: "running",
          pid: read.recoveredPid,
        }
      : { ...notStarted(name, problem), condition: "stopped" };
  }
  return fromState(read.state, now);
}

function fromState(state: VmState, now: number): VmStatus {
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
    initScript: state.initScript,
    problem:
      condition === "crashed"
        ? `QEMU (pid ${state.pid}) is gone without a stop; last readiness ${state.readiness}`
        : state.failure,
    stoppedBy: state.stop?.method ?? null,
    username: state.username,
  };
}
