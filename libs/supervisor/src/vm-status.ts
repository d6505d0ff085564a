/**
 * What a VM is doing now, reconciled with reality: the state file says what the supervisor last
 * knew, /proc says whether that process (same pid AND start time) still lives. A VM whose process
 * is gone without a recorded stop is `crashed`, never `running`. Reads files only, so `status`
 * stays fast with many VMs.
 */
export type { VmCondition, VmStatus } from "./status-from-state.ts";
import type { Project } from "./project.ts";
import { notStartedStatus as notStarted, statusFromState, type VmStatus } from "./status-from-state.ts";
import { findQemuByArgument, readState } from "./state-store.ts";
import { vmPaths } from "./project.ts";

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
    const problem = `state file is corrupt (${read.reason}); \`nohead stop ${name}\` or \`nohead run ${name}\` sets it aside`;
    return read.recoveredPid
      ? {
          ...notStarted(name, `${problem}; QEMU found running by its QMP socket`),
          condition: "running",
          pid: read.recoveredPid,
        }
      : { ...notStarted(name, problem), condition: "stopped" };
  }
  return statusFromState(read.state, now);
}
