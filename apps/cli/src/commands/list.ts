/**
 * `nohead list`: this project's running VMs, one name per line (no-headache's format).
 * It runs on every shell prompt of some users, so it loads no schema library: it peeks at the
 * three state fields it needs (the full state is validated by every command that acts on it).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { findQemuByArgument, isSameProcessAlive } from "@nohead/supervisor/process-identity";
import { findProjectOfResult, vmPaths } from "@nohead/supervisor/project";

/** Names of the VMs of the project owning `result` whose recorded QEMU process (pid + start time) is alive. */
export function runningVmNames(cwd: string, result?: string): string[] {
  const project = findProjectOfResult(cwd, result);
  const dir = join(project.stateDir, "vms");
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
      return findQemuByArgument(vmPaths(project, name).qmp) !== null;
    }
  });
}

/** Called by the fast path in main.ts with only `result`, and by the parser with `-r` in `globals`. */
export async function run(_args: unknown[] = [], globals?: { result: string }): Promise<number> {
  const names = runningVmNames(process.cwd(), globals?.result);
  // Bun.write skips the cost of setting up process.stdout (~20 ms): list is a fast path.
  if (names.length > 0) await Bun.write(Bun.stdout, `${names.join("\n")}\n`);
  return 0;
}
