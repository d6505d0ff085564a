/**
 * Per-VM state files as the commands that act on VMs read them: through the one reader
 * (state-file.ts), checked against the VmState schema. Reading never writes; a corrupt file is
 * reported with the VM's QEMU, if it still runs, found again by its QMP socket path on the command
 * line, and set aside only by a command that goes on to start or stop the VM.
 */
import { existsSync, readdirSync, renameSync } from "node:fs";
import { join } from "node:path";
import { VmState } from "@nohead/schema";
import { findQemuByArgument } from "./process-identity.ts";
import type { Project, VmPaths } from "./project.ts";
import { readStateFile } from "./state-file.ts";

export type StateRead =
  | { kind: "ok"; state: VmState }
  | { kind: "missing" }
  | { kind: "corrupt"; reason: string; recoveredPid: number | null };

/** Why `value` is not a VmState by the schema, or null when it is one. */
export function schemaCheck(value: unknown): string | null {
  const parsed = VmState.safeParse(value);
  return parsed.success
    ? null
    : parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
}

/** Reads a VM's state, validated by the schema; a corrupt file is reported, never trusted, never moved. */
export function readState(paths: VmPaths): StateRead {
  const read = readStateFile(paths.state, schemaCheck);
  if (read.kind === "corrupt") return { ...read, recoveredPid: findQemuByArgument(paths.qmp) };
  // The schema fills the fields older files lack (the watcher's) with their defaults.
  return read.kind === "ok" ? { kind: "ok", state: VmState.parse(read.state) } : read;
}

/** Moves a corrupt state file aside (`state.json.corrupt-<ms>`) and returns where it went. */
export function setAsideCorruptState(paths: VmPaths): string {
  const movedTo = `${paths.state}.corrupt-${Date.now()}`;
  renameSync(paths.state, movedTo);
  return movedTo;
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
