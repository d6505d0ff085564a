/**
 * Reads per-VM state files (written by write-state.ts), checked against the VmState schema, and
 * recovers from a corrupt one: it is moved aside and the VM's QEMU, if still running, is found again by its
 * QMP socket path on the command line.
 */
import { existsSync, readdirSync, readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { VmState } from "@nohead/schema";
import { findQemuByArgument } from "./process-identity.ts";
import type { Project, VmPaths } from "./project.ts";

export type StateRead =
  | { kind: "ok"; state: VmState }
  | { kind: "missing" }
  | { kind: "corrupt"; reason: string; movedTo: string; recoveredPid: number | null };

/** Reads a VM's state; a corrupt file is moved aside (and reported), never trusted. */
export function readState(paths: VmPaths): StateRead {
  let text: string;
  try {
    text = readFileSync(paths.state, "utf8");
  } catch {
    return { kind: "missing" };
  }
  let reason: string;
  try {
    const parsed = VmState.safeParse(JSON.parse(text));
    if (parsed.success) return { kind: "ok", state: parsed.data };
    reason = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
  } catch (error) {
    reason = error instanceof Error ? error.message : String(error);
  }
  const movedTo = `${paths.state}.corrupt-${Date.now()}`;
  renameSync(paths.state, movedTo);
  return { kind: "corrupt", reason, movedTo, recoveredPid: findQemuByArgument(paths.qmp) };
}

/** Names of the VMs that have a state directory in this project. */
export function knownVmNames(project: Project): string[] {
  const dir = join(project.stateDir, "vms");
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

/** Re-exported: the store uses it to recover from a lost state file. */
export { findQemuByArgument };
