/**
 * `nohead status [--json]` without the argument parser or the schema library (the common case:
 * every machine of a local project). It reads state files as plain JSON and reconciles them with
 * /proc through the same code as the full command. Whenever anything needs more — a machine on an
 * agent, a state file that does not look right, a broken manifest — it returns undefined and the
 * full command (which validates everything and reports problems) runs instead.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { findProject, vmPaths } from "@nohead/supervisor/project";
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
  return { statuses, supervisor: supervisorForStatus(findProject(cwd), running) };
}

/** The statuses, or undefined when the full command must decide. */
export function fastStatuses(cwd: string, result = "result"): HostedStatus[] | undefined {
  const project = findProject(cwd);
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
    const file = vmPaths(project, name).state;
    if (!existsSync(file)) {
      statuses.push({ ...notStartedStatus(name), host: "local" });
      continue;
    }
    let state: unknown;
    try {
      state = JSON.parse(readFileSync(file, "utf8"));
    } catch {
      return undefined;
    }
    if (!looksLikeState(state)) return undefined;
    statuses.push({ ...statusFromState(state as Parameters<typeof statusFromState>[0], now), host: "local" });
  }
  return statuses;
}

/** The fields status reads, with their types; anything else sends status to the full command. */
function looksLikeState(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const s = value as Record<string, unknown>;
  return (
    s.schemaVersion === 1 &&
    typeof s.name === "string" &&
    (s.pid === null || typeof s.pid === "number") &&
    (s.processStartTicks === null || typeof s.processStartTicks === "string") &&
    typeof s.startedAt === "string" &&
    typeof s.readiness === "string" &&
    Array.isArray(s.forwards) &&
    Array.isArray(s.health) &&
    (s.initScript === null || typeof s.initScript === "string") &&
    (s.healthStatus === undefined || s.healthStatus === null || typeof s.healthStatus === "string") &&
    (s.lastHealthCheck === undefined ||
      s.lastHealthCheck === null ||
      typeof s.lastHealthCheck === "string") &&
    (s.failure === null || typeof s.failure === "string") &&
    (s.stop === null || typeof s.stop === "object") &&
    typeof s.username === "string"
  );
}
