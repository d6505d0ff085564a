/** `nohead status [vm…] [--json]`: state, pid, uptime, ports, readiness and init script of each VM. */
import type { VmStatus } from "@nohead/supervisor";
import pc from "picocolors";
import { openFleet } from "../open-fleet.ts";
import { remoteGroups } from "../placement.ts";
import type { GlobalOptions } from "../program.ts";
import { renderTable } from "../table.ts";

const CONDITION_COLOURS: Record<VmStatus["condition"], (s: string) => string> = {
  running: pc.green,
  stopped: pc.dim,
  "not-started": pc.dim,
  crashed: pc.red,
  failed: pc.red,
};

export async function run([given, options]: unknown[], globals: GlobalOptions): Promise<number> {
  const { json = false } = options as { json?: boolean };
  const fleet = openFleet(globals);
  const wanted = given as string[];
  const names = wanted.length > 0 ? fleet.resolveNames(wanted) : undefined;
  const remote = await remoteGroups(fleet, names);
  const remoteNames = new Set(remote.flatMap((g) => g.machines));
  const statuses: (VmStatus & { host: string })[] = fleet
    .status(names)
    .filter((s) => !remoteNames.has(s.name))
    .map((s) => ({ ...s, host: "local" }));
  for (const { host, machines } of remote) {
    try {
      for (const s of await host.status(machines)) statuses.push({ ...s, host: host.name });
    } catch (error) {
      for (const name of machines) {
        statuses.push({
          ...unreachable(name),
          host: host.name,
          problem: `host ${host.name} did not answer: ${(error as Error).message}`,
        });
      }
    }
  }
  statuses.sort((a, b) => a.name.localeCompare(b.name));
  const showHost = remote.length > 0;
  if (json) {
    process.stdout.write(`${JSON.stringify({ machines: statuses }, null, 2)}\n`);
    return 0;
  }
  if (statuses.length === 0) {
    process.stdout.write("no machines: run `nohead build`, then `nohead runall`\n");
    return 0;
  }
  process.stdout.write(
    renderTable(
      ["NAME", ...(showHost ? ["HOST"] : []), "STATE", "READINESS", "PID", "UPTIME", "PORTS", "INIT"],
      statuses.map((s) => [
        pc.bold(s.name),
        ...(showHost ? [s.host] : []),
        CONDITION_COLOURS[s.condition](s.condition),
        s.condition === "running" ? (s.readiness ?? "-") : "-",
        s.pid ? String(s.pid) : "-",
        s.uptimeSeconds === null ? "-" : formatDuration(s.uptimeSeconds),
        s.condition === "running"
          ? s.forwards.map((f) => `${f.name} ${f.hostPort}→${f.guestPort}`).join(", ") || "-"
          : "-",
        s.initScript ?? "-",
      ]),
    ),
  );
  for (const s of statuses.filter((s) => s.problem && s.condition !== "stopped")) {
    process.stdout.write(`${pc.yellow("!")} ${s.name}: ${s.problem}\n`);
  }
  return 0;
}

function unreachable(name: string): VmStatus {
  return {
    name,
    condition: "not-started",
    readiness: null,
    pid: null,
    uptimeSeconds: null,
    forwards: [],
    health: [],
    initScript: null,
    problem: null,
    stoppedBy: null,
    username: null,
  };
}

function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, "0")}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, "0")}m`;
}
