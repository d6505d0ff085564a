/**
 * A lock per VM, so two nohead commands (or the CLI and the agent) never start or stop the same
 * VM at once. The lock is a directory (proper-lockfile) and `lock.owner` names its holder (pid and
 * start time): a lock whose holder was killed is taken over at once instead of after going stale.
 */
import { NoheadError } from "@nohead/schema";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import lockfile from "proper-lockfile";
import { isSameProcessAlive, readProcStat } from "./process-identity.ts";
import type { VmPaths } from "./project.ts";

const STALE_MS = 10_000;

const take = (paths: VmPaths) =>
  lockfile.lock(paths.dir, {
    lockfilePath: `${paths.dir}/lock`,
    stale: STALE_MS,
    update: STALE_MS / 2,
    retries: 0,
    realpath: false,
  });

/** Whether the command that holds the lock (recorded in lock.owner) has died. */
function ownerIsDead(paths: VmPaths): boolean {
  try {
    const [pid, ticks] = readFileSync(`${paths.dir}/lock.owner`, "utf8").trim().split(" ");
    return !isSameProcessAlive(Number(pid), ticks ?? null);
  } catch {
    return false;
  }
}

/**
 * Runs `fn` holding the lock of the VM; throws a `conflict` error naming the VM when another
 * command holds it.
 */
export async function withVmLock<T>(name: string, paths: VmPaths, fn: () => Promise<T>): Promise<T> {
  let release: () => Promise<void>;
  try {
    try {
      release = await take(paths);
    } catch (error) {
      if ((error as { code?: string }).code !== "ELOCKED" || !ownerIsDead(paths)) throw error;
      // Its holder was killed (SIGKILL leaves the lock behind): take it over at once.
      rmSync(`${paths.dir}/lock`, { recursive: true, force: true });
      release = await take(paths);
    }
    writeFileSync(
      `${paths.dir}/lock.owner`,
      `${process.pid} ${readProcStat(process.pid)?.startTicks ?? ""}\n`,
    );
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
