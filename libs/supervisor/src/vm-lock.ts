/**
 * A lock per VM, so two nohead commands (or the CLI and the agent) never start or stop the same
 * VM at once. The lock is a directory (proper-lockfile); a holder killed with SIGKILL leaves a
 * lock that goes stale after 10 s.
 */
import { NoheadError } from "@nohead/schema";
import lockfile from "proper-lockfile";
import type { VmPaths } from "./project.ts";

const STALE_MS = 10_000;

/**
 * Runs `fn` holding the lock of the VM; throws a `conflict` error naming the VM when another
 * command holds it.
 */
export async function withVmLock<T>(name: string, paths: VmPaths, fn: () => Promise<T>): Promise<T> {
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(paths.dir, {
      lockfilePath: `${paths.dir}/lock`,
      stale: STALE_MS,
      update: STALE_MS / 2,
      retries: 0,
      realpath: false,
    });
  } catch (error) {
    if ((error as { code?: string }).code === "ELOCKED") {
      throw new NoheadError("conflict", "another nohead command is starting or stopping this VM", {
        machine: name,
        hint: "wait for it to finish, then check `nohead status`",
        cause: error,
      });
    }
    throw error;
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}
