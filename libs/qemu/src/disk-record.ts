/**
 * The VM's disk remembers which system made it (`disk.json` beside the disk). Starting with a
 * different system warns (the disk keeps the old state); `--fresh` recreates it. A disk is never
 * silently reused across systems.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";

export type DiskCheck =
  | { kind: "new" }
  | { kind: "same" }
  | { kind: "stale"; madeBy: string | null }
  | { kind: "recreated"; madeBy: string | null };

/**
 * Compares the disk at `disk` with `system`; with `fresh`, deletes the disk so the runner creates
 * a new one. Records `system` as the disk's maker whenever the disk will be created now.
 */
export function checkDisk(disk: string, record: string, system: string, fresh: boolean): DiskCheck {
  if (!existsSync(disk)) {
    writeFileSync(record, `${JSON.stringify({ system, createdAt: new Date().toISOString() })}\n`);
    return { kind: "new" };
  }
  let madeBy: string | null = null;
  try {
    madeBy = (JSON.parse(readFileSync(record, "utf8")) as { system?: string }).system ?? null;
  } catch {
    madeBy = null;
  }
  if (fresh) {
    rmSync(disk, { force: true });
    writeFileSync(record, `${JSON.stringify({ system, createdAt: new Date().toISOString() })}\n`);
    return { kind: "recreated", madeBy };
  }
  return madeBy === system ? { kind: "same" } : { kind: "stale", madeBy };
}
