/**
 * The supervisor `status` reports, and the re-adoption it triggers: when VMs of this project run
 * on this computer but no supervisor does (it was killed, or the machine's VMs were started by an
 * older nohead), status starts one — without waiting for it, so status stays fast — and reports
 * the new one's pid. Status itself reads the state files, which are the truth either way.
 */
import { launchingSupervisor, launchSupervisor, liveSupervisor } from "@nohead/supervisor/supervisor-process";
import type { Project } from "@nohead/supervisor/project";
import { supervisorCommand } from "./supervisor-command.ts";

export interface SupervisorSummary {
  pid: number;
}

/** The live supervisor of `project`, started when `localVmsRun` and there is none; else null. */
export function supervisorForStatus(project: Project, localVmsRun: boolean): SupervisorSummary | null {
  const live = liveSupervisor(project)?.pid ?? launchingSupervisor(project);
  if (live !== null) return { pid: live };
  return localVmsRun ? { pid: launchSupervisor(project, supervisorCommand()) } : null;
}
