/**
 * `nohead list`: this project's running VMs, one name per line (no-headache's format).
 * It runs on every shell prompt of some users, so it loads no schema library: it peeks at the
 * three state fields it needs (the full state is validated by every command that acts on it).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { findQemuByArgument, isSameProcessAlive } from "@nohead/supervisor/process-identity";
import { findProject, vmPaths } from "@nohead/supervisor/project";

/** Names of the project's VMs whose recorded QEMU process (pid + start time) is alive. */
export function runningVmNames(cwd: string): string[] {
  const dir = join(findProject(cwd).stateDir, "vms");
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return [];
  }
  return names.filter((name) => {
    try {
      const state = JSON.parse(readFileSync(join(dir, name, "state.json"), "utf8")) as {
        pid?: unknown;
        processStartTicks?: unknown;
      };
      return (
        typeof state.pid === "number" &&
        (typeof state.processStartTicks === "string" || state.processStartTicks === null) &&
        isSameProcessAlive(state.pid, state.processStartTicks)
      );
    } catch {
      // No readable state (lost, or moved aside as corrupt): the VM may still run.
      return findQemuByArgument(vmPaths(findProject(cwd), name).qmp) !== null;
    }
  });
}

export async function run(): Promise<number> {
  const names = runningVmNames(process.cwd());
  // Bun.write skips the cost of setting up process.stdout (~20 ms): list is a fast path.
  if (names.length > 0) await Bun.write(Bun.stdout, `${names.join("\n")}\n`);
  return 0;
}
