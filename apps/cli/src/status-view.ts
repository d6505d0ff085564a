/**
 * How `status` shows machines: a table (with a HOST column when some run on agents) and the
 * problems under it, or JSON. Written with Bun.write: `status` is on the fast path.
 */
import type { VmStatus } from "@nohead/supervisor/status-from-state";
import pc from "picocolors";
import type { SupervisorSummary } from "./status-supervisor.ts";
import { renderTable } from "./table.ts";

/** A VM's status and where it runs (a Slurm host adds its pilot job, see docs/slurm.md). */
export type HostedStatus = VmStatus & {
  host: string;
  slurmJob?: { jobId: string; node: string | null; state: string };
};

/** The HOST column: the host, and on a Slurm host the VM's job and node. */
function hostText(s: HostedStatus): string {
  if (!s.slurmJob) return s.host;
  return `${s.host} job ${s.slurmJob.jobId}${s.slurmJob.node ? ` on ${s.slurmJob.node}` : ""}`;
}

const CONDITION_COLOURS: Record<VmStatus["condition"], (s: string) => string> = {
  running: pc.green,
  stopped: pc.dim,
  "not-started": pc.dim,
  crashed: pc.red,
  failed: pc.red,
};

/** What the HEALTH column says: the checks' verdict while running. */
function healthText(s: HostedStatus): string {
  if (s.condition !== "running" || s.health.length === 0) return "-";
  if (s.healthy === null) return pc.dim("starting");
  return s.healthy ? pc.green("healthy") : pc.red("unhealthy");
}

/**
 * Prints `statuses` (sorted by name) as a table, or as `{ supervisor, machines }` JSON
 * (`supervisor`: the project's supervisor process, null when none runs).
 */
export async function printStatuses(
  statuses: HostedStatus[],
  { json, supervisor }: { json: boolean; supervisor: SupervisorSummary | null },
): Promise<void> {
  statuses.sort((a, b) => a.name.localeCompare(b.name));
  if (json) {
    await Bun.write(Bun.stdout, `${JSON.stringify({ supervisor, machines: statuses }, null, 2)}\n`);
    return;
  }
  if (statuses.length === 0) {
    await Bun.write(Bun.stdout, "no machines: run `nohead build`, then `nohead runall`\n");
    return;
  }
  const showHost = statuses.some((s) => s.host !== "local");
  const table = renderTable(
    ["NAME", ...(showHost ? ["HOST"] : []), "STATE", "READINESS", "HEALTH", "PID", "UPTIME", "PORTS", "INIT"],
    statuses.map((s) => [
      pc.bold(s.name),
      ...(showHost ? [hostText(s)] : []),
      CONDITION_COLOURS[s.condition](s.condition),
      s.condition === "running" ? (s.readiness ?? "-") : "-",
      healthText(s),
      s.pid ? String(s.pid) : "-",
      s.uptimeSeconds === null ? "-" : formatDuration(s.uptimeSeconds),
      s.condition === "running"
        ? s.forwards.map((f) => `${f.name} ${f.hostPort}→${f.guestPort}`).join(", ") || "-"
        : "-",
      s.initScript ?? "-",
    ]),
  );
  const problems = statuses
    // A VM stopped by a user says nothing; one whose Slurm job ended says why.
    .filter((s) => s.error && (s.condition !== "stopped" || s.slurmJob))
    .map((s) => `${pc.yellow("!")} ${s.name}: ${s.error}\n`)
    .join("");
  await Bun.write(Bun.stdout, table + problems);
}

function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, "0")}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, "0")}m`;
}
