/**
 * Writes a VM's state file atomically (temp file + rename): readers see the old or the new file,
 * never half of one. The type is the check here; readers validate (state-store.ts). This file
 * stays free of zod because VM workers write state (watch-vm.ts) and should stay small.
 */
import { renameSync, writeFileSync } from "node:fs";
import type { VmStateFile } from "@nohead/schema";
import type { VmPaths } from "./project.ts";

export function writeState(paths: VmPaths, state: VmStateFile): void {
  const tmp = `${paths.state}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, paths.state);
}
