/**
 * Which of a project's VMs run, read without side effects: the pid and start time of each state
 * file, checked in /proc, and for a VM without a readable state file its QMP socket on QEMU's
 * command line. Unlike the validating reader (state-store.ts) it never moves a corrupt file aside,
 * so a process that looks often (the supervisor, deciding whether it still has work) never takes
 * that report away from the command the user runs.
 */
import { readFileSync } from "node:fs";
import { findQemuByArgument, isSameProcessAlive } from "./process-identity.ts";
import { type Project, vmPaths } from "./project.ts";
import { knownVmNames } from "./state-store.ts";

/** Names of the project's running VMs. */
export function runningVmNames(project: Project): string[] {
  return knownVmNames(project).filter((name) => {
    const paths = vmPaths(project, name);
    try {
      const state = JSON.parse(readFileSync(paths.state, "utf8")) as {
        pid?: unknown;
        processStartTicks?: unknown;
      };
      if (typeof state.pid !== "number") return false;
      return isSameProcessAlive(
        state.pid,
        typeof state.processStartTicks === "string" ? state.processStartTicks : null,
      );
    } catch {
      return findQemuByArgument(paths.qmp) !== null;
    }
  });
}
