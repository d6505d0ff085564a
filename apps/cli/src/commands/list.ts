/**
 * `nohead list`: this project's running VMs, one name per line (no-headache's format).
 * It runs on every shell prompt of some users, so it loads no schema library: a thin layer over
 * the one state reader (its schema-free check), then /proc for whether the process lives.
 */
import { readdirSync } from "node:fs";
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

/** Called by the fast path in main.ts with only `result`, and by the parser with `-r` in `globals`. */
export async function run(_args: unknown[] = [], globals?: { result: string }): Promise<number> {
  const names = runningVmNames(process.cwd(), globals?.result);
  // Bun.write skips the cost of setting up process.stdout (~20 ms): list is a fast path.
  if (names.length > 0) await Bun.write(Bun.stdout, `${names.join("\n")}\n`);
  return 0;
}
