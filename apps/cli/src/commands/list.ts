/**
 * `nohead list`: this project's running VMs, here and on hosts, one name per line (no-headache's
 * format). It runs on every shell prompt of some users, so a purely local project loads no schema
 * library: a thin layer over the one state reader (its schema-free check), then /proc for whether
 * the process lives. Machines recorded on hosts (`.nohead/placement.json`) are asked there.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { findQemuByArgument, isSameProcessAlive } from "@nohead/supervisor/process-identity";
import { findProjectOfResult, vmPaths } from "@nohead/supervisor/project";
import { readStateFile } from "@nohead/supervisor/state-file";

/** Names of the VMs of the project owning `result` whose recorded QEMU process (pid + start time) is alive. */
export function runningVmNames(cwd: string, result?: string): string[] {
  const project = findProjectOfResult(cwd, result);
  let names: string[];
  try {
    names = readdirSync(join(project.stateDir, "vms")).sort();
  } catch {
    return [];
  }
  return names.filter((name) => {
    const paths = vmPaths(project, name);
    const read = readStateFile(paths.state);
    if (read.kind === "ok")
      return read.state.pid !== null && isSameProcessAlive(read.state.pid, read.state.processStartTicks);
    // No readable state (lost, or corrupt): the VM may still run.
    return findQemuByArgument(paths.qmp) !== null;
  });
}

/** The running machines among those recorded on hosts; a host that does not answer is reported. */
async function runningOnHosts(
  result: string | undefined,
): Promise<{ names: string[]; placed: string[]; ok: boolean }> {
  const [{ openFleet }, { byHost, readPlacement }] = await Promise.all([
    import("../open-fleet.ts"),
    import("../placement.ts"),
  ]);
  const fleet = openFleet({ result: result ?? "result" });
  const groups = byHost(fleet, Object.keys(readPlacement(fleet)));
  const names: string[] = [];
  let ok = true;
  for (const { host, machines } of groups) {
    try {
      for (const s of await host.status(machines)) if (s.condition === "running") names.push(s.name);
    } catch (error) {
      ok = false;
      process.stderr.write(
        `host ${host.name} did not answer (${machines.join(", ")}): ${(error as Error).message}\n`,
      );
    }
  }
  return { names, placed: groups.flatMap((g) => g.machines), ok };
}

/** Called by the fast path in main.ts with only `result`, and by the parser with `-r` in `globals`. */
export async function run(_args: unknown[] = [], globals?: { result: string }): Promise<number> {
  let names = runningVmNames(process.cwd(), globals?.result);
  let ok = true;
  if (existsSync(join(findProjectOfResult(process.cwd(), globals?.result).stateDir, "placement.json"))) {
    const remote = await runningOnHosts(globals?.result);
    names = [...names.filter((n) => !remote.placed.includes(n)), ...remote.names].sort();
    ok = remote.ok;
  }
  // Bun.write skips the cost of setting up process.stdout (~20 ms): list is a fast path.
  if (names.length > 0) await Bun.write(Bun.stdout, `${names.join("\n")}\n`);
  return ok ? 0 : 1;
}
