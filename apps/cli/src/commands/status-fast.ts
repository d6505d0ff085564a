/**
 * `nohead status [--json]` without the argument parser or the schema library (the common case:
 * every machine of a local project): a thin layer over the one state reader (state-file.ts, its
 * schema-free check) and the same reconciliation with /proc as the full command. Whenever anything
 * needs more — a machine on an agent, a corrupt state file, a broken manifest — it returns
 * undefined and the full command (which reports problems) runs instead.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { findProjectOfResult, vmPaths } from "@nohead/supervisor/project";
import { readStateFile } from "@nohead/supervisor/state-file";
import { notStartedStatus, statusFromState } from "@nohead/supervisor/status-from-state";
import type { HostedStatus } from "../status-view.ts";
import { type SupervisorSummary, supervisorForStatus } from "../status-supervisor.ts";

/** The statuses and the supervisor, or undefined when the full command must decide. */
export function fastStatus(
  cwd: string,
  result = "result",
): { statuses: HostedStatus[]; supervisor: SupervisorSummary | null } | undefined {
  const statuses = fastStatuses(cwd, result);
  if (!statuses) return undefined;
  const running = statuses.some((s) => s.condition === "running");
  return { statuses, supervisor: supervisorForStatus(findProjectOfResult(cwd, result), running) };
}

/** The statuses, or undefined when the full command must decide. */
export function fastStatuses(cwd: string, result = "result"): HostedStatus[] | undefined {
  const project = findProjectOfResult(cwd, result);
  if (existsSync(join(project.stateDir, "placement.json"))) return undefined;
  const names = new Set<string>();
  const manifest = join(resolve(cwd, result), "nohead-manifest.json");
  if (existsSync(manifest)) {
    try {
      const machines = (JSON.parse(readFileSync(manifest, "utf8")) as { machines?: { name?: unknown }[] })
        .machines;
      if (!Array.isArray(machines)) return undefined;
      for (const m of machines) {
        if (typeof m.name !== "string") return undefined;
        names.add(m.name);
      }
    } catch {
      return undefined;
    }
  }
  try {
    for (const name of readdirSync(join(project.stateDir, "vms"))) names.add(name);
  } catch {
    // No state yet: only the build's machines, all not started.
  }
  const now = Date.now();
  const statuses: HostedStatus[] = [];
  for (const name of names) {
    const read = readStateFile(vmPaths(project, name).state);
    if (read.kind === "corrupt") return undefined;
    statuses.push({
      ...(read.kind === "missing" ? notStartedStatus(name) : statusFromState(read.state, now)),
      host: "local",
    });
  }
  return statuses;
}
