/**
 * Temp directories for tests, removed after the run (tests/preload.ts registers
 * {@link removeTestTempDirs} as a global afterAll: bun test fires no process exit events), so a
 * suite run leaves nothing behind in /tmp. Every VM in them is stopped by its test first.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const made: string[] = [];

/** Removes every directory made by {@link testTempDir} so far. */
export function removeTestTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A new directory under the system temp dir, named `<prefix>XXXXXX`, removed at exit. */
export function testTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
