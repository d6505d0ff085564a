/**
 * Starts the project's supervisor as soon as a command that will need it begins, before that
 * command loads its own modules and reads the build, so the supervisor's start (a Bun process
 * loading the host API: ~0.1–0.2 s) runs while the command gets ready instead of after
 * (docs/benchmarks.md, "The supervisor's start"). Only for the commands that start VMs on this
 * computer, and not for their help or `--host`; a supervisor a command ends up not needing (a
 * usage error) ends by itself after 10 idle seconds with no request (apps/agent/src/supervise.ts).
 * Loads no schema library.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { findProjectOfResult } from "@nohead/supervisor/project";
import { launchingSupervisor, launchSupervisor, liveSupervisor } from "@nohead/supervisor/supervisor-process";
import { supervisorCommand } from "./supervisor-command.ts";

/**
 * Whether `args` (a starting command and its arguments, `-r` taken out) will ask this computer's
 * supervisor: not for help, not with `--host`.
 */
export function needsSupervisorSoon(args: string[]): boolean {
  const rest = args.slice(1);
  const own = rest.includes("--") ? rest.slice(0, rest.indexOf("--")) : rest;
  return !own.some((a) => a === "-h" || a === "--help" || a === "--host" || a.startsWith("--host="));
}

/**
 * Launches the supervisor of the project owning `result` (relative to `cwd`) without waiting,
 * when `args` will need it and none runs or is starting; the command's own `ensureSupervisor`
 * then finds it starting and waits for it. Any problem is left to that later call to report.
 * Returns the launched pid, or null. `command` runs `nohead supervise` (tests pass a stand-in).
 */
export function launchSupervisorEarly(
  cwd: string,
  result: string,
  args: string[],
  command = supervisorCommand(),
): number | null {
  if (!needsSupervisorSoon(args) || !existsSync(resolve(cwd, result))) return null;
  try {
    const project = findProjectOfResult(cwd, result);
    if (liveSupervisor(project) || launchingSupervisor(project) !== null) return null;
    return launchSupervisor(project, command);
  } catch {
    // The command starts it (or says why it cannot) when it needs it.
    return null;
  }
}
