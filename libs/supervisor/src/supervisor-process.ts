/**
 * The project's supervisor as other processes see it: where its record, log, lock and unix socket
 * are, whether one is alive (its record's pid AND start time), and how a command starts one —
 * detached, in its own session, output to `.nohead/supervisor.log` — and waits, bounded, until its
 * socket answers. The lock makes sure two commands never run two supervisors for one project; a
 * lock or socket left by a killed supervisor is taken over. No schema library here: `status`
 * reads the record on its fast path.
 */
import {
  closeSync,
  lstatSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { NoheadError } from "@nohead/schema/errors";
import type { SupervisorRecord } from "@nohead/schema";
import { isSameProcessAlive, readProcStat } from "./process-identity.ts";
import type { Project } from "./project.ts";
import { currentUid, socketTrustProblem } from "@nohead/qemu/owned-socket";

/** Where the supervisor of `project` keeps its files. */
export function supervisorPaths(project: Project) {
  return {
    /** `.nohead/supervisor.json`: its pid, start time and socket. */
    record: join(project.stateDir, "supervisor.json"),
    /** `.nohead/supervisor.log`: its stdout and stderr. */
    log: join(project.stateDir, "supervisor.log"),
    /** `.nohead/supervisor.launch`: "pid startTicks" of the supervisor a command just started. */
    launch: join(project.stateDir, "supervisor.launch"),
    /** `.nohead/supervisor.lock`: "pid startTicks" of the one supervisor allowed to run. */
    lock: join(project.stateDir, "supervisor.lock"),
    /** The host API's socket, in the project's runtime dir (short path, private dir). */
    socket: join(project.runtimeDir, "supervisor.sock"),
  };
}
export type SupervisorPaths = ReturnType<typeof supervisorPaths>;

/** A supervisor.log larger than this is moved to `supervisor.log.1` when a supervisor starts. */
export const SUPERVISOR_LOG_MAX_BYTES = 1024 * 1024;

/**
 * Rotates the supervisor's log before a supervisor starts: one over
 * {@link SUPERVISOR_LOG_MAX_BYTES} becomes `<log>.1` (replacing the previous one). Only then: a
 * running supervisor keeps its output file, and writes little (its start, its end, unexpected
 * errors).
 */
export function rotateSupervisorLog(log: string, maxBytes = SUPERVISOR_LOG_MAX_BYTES): void {
  try {
    if (statSync(log).size > maxBytes) renameSync(log, `${log}.1`);
  } catch {
    // No log yet.
  }
}

/** "pid startTicks" of this process, as the lock and record hold it. */
function ownIdentity(): { pid: number; ticks: string | null } {
  return { pid: process.pid, ticks: readProcStat(process.pid)?.startTicks ?? null };
}

/** The record of the live supervisor of `project`, or null (none, or its process is gone). */
export function liveSupervisor(project: Project): SupervisorRecord | null {
  let record: Partial<SupervisorRecord>;
  try {
    record = JSON.parse(readFileSync(supervisorPaths(project).record, "utf8")) as Partial<SupervisorRecord>;
  } catch {
    return null;
  }
  if (typeof record.pid !== "number" || typeof record.socket !== "string") return null;
  const ticks = typeof record.processStartTicks === "string" ? record.processStartTicks : null;
  return isSameProcessAlive(record.pid, ticks) ? (record as SupervisorRecord) : null;
}

/**
 * The pid of a supervisor a command started that has not written its record yet (it is still
 * starting), or null: so two commands a moment apart do not both start one.
 */
export function launchingSupervisor(project: Project): number | null {
  try {
    const [pid, ticks] = readFileSync(supervisorPaths(project).launch, "utf8").trim().split(" ");
    return isSameProcessAlive(Number(pid), ticks || null) ? Number(pid) : null;
  } catch {
    return null;
  }
}

/** Writes this process's record (atomically), once its socket listens. */
export function writeSupervisorRecord(paths: SupervisorPaths): SupervisorRecord {
  const { pid, ticks } = ownIdentity();
  const record: SupervisorRecord = {
    schemaVersion: 1,
    pid,
    processStartTicks: ticks,
    socket: paths.socket,
    startedAt: new Date().toISOString(),
  };
  const tmp = `${paths.record}.${pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, paths.record);
  return record;
}

/**
 * Takes the project's supervisor lock for this process: true when taken, false when a live
 * supervisor holds it. A lock whose holder died is moved aside and taken over.
 */
export function takeSupervisorLock(paths: SupervisorPaths): boolean {
  const { pid, ticks } = ownIdentity();
  mkdirSync(join(paths.lock, ".."), { recursive: true, mode: 0o700 });
  const mine = `${paths.lock}.${pid}.tmp`;
  writeFileSync(mine, `${pid} ${ticks ?? ""}\n`, { mode: 0o600 });
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        linkSync(mine, paths.lock); // atomic: fails when the lock exists
        return true;
      } catch (error) {
        if ((error as { code?: string }).code !== "EEXIST") throw error;
      }
      const [holder, holderTicks] = readFileSync(paths.lock, "utf8").trim().split(" ");
      if (isSameProcessAlive(Number(holder), holderTicks || null)) return false;
      try {
        // Moved aside rather than removed, so two takers cannot both remove and both take it.
        renameSync(paths.lock, `${paths.lock}.stale-${pid}`);
        rmSync(`${paths.lock}.stale-${pid}`, { force: true });
      } catch {
        // Another taker moved it first: try again.
      }
    }
    return false;
  } finally {
    rmSync(mine, { force: true });
  }
}

/** Releases the lock, the record and the socket of this process (what is not its own is left). */
export function releaseSupervisor(paths: SupervisorPaths): void {
  const { pid } = ownIdentity();
  try {
    if (readFileSync(paths.lock, "utf8").startsWith(`${pid} `)) {
      rmSync(paths.record, { force: true });
      rmSync(paths.launch, { force: true });
      rmSync(paths.socket, { force: true });
      unlinkSync(paths.lock);
    }
  } catch {
    // Already gone.
  }
}

/**
 * Why the socket at `socket` cannot be trusted to be our supervisor's, or null: it must be a
 * socket owned by this user in a directory of this user that no one else may enter (another user
 * who could plant or replace it would see every request). Absent: null (not there yet).
 */
export function socketProblem(socket: string): string | null {
  const problem = socketTrustProblem(socket);
  if (problem) return problem;
  try {
    const dir = lstatSync(dirname(socket));
    if (dir.uid !== currentUid()) return "its directory belongs to another user";
    if ((dir.mode & 0o077) !== 0)
      return `it is in a directory others may enter (mode ${(dir.mode & 0o777).toString(8)})`;
  } catch {
    return null; // Not there yet.
  }
  return null;
}

/** How long a command waits for a supervisor it started to answer on its socket. */
export const SUPERVISOR_START_TIMEOUT_MS = 15_000;

/** Whether the host API answers on `socket` (its health route). */
export async function supervisorAnswers(socket: string): Promise<boolean> {
  try {
    const response = await fetch("http://supervisor/v1/health", {
      unix: socket,
      signal: AbortSignal.timeout(2000),
    });
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * Starts a supervisor for `project`, detached (own session: it outlives the command), without
 * waiting for it; returns its pid. `command` is the argv that runs `nohead supervise`.
 */
export function launchSupervisor(project: Project, command: string[]): number {
  const paths = supervisorPaths(project);
  mkdirSync(project.stateDir, { recursive: true, mode: 0o700 });
  rotateSupervisorLog(paths.log);
  const log = openSync(paths.log, "a", 0o600);
  try {
    const child = Bun.spawn([...command, "--state-dir", project.stateDir], {
      cwd: project.root,
      detached: true,
      stdio: ["ignore", log, log],
    });
    child.unref();
    const tmp = `${paths.launch}.${process.pid}.tmp`;
    writeFileSync(tmp, `${child.pid} ${readProcStat(child.pid)?.startTicks ?? ""}\n`, { mode: 0o600 });
    renameSync(tmp, paths.launch);
    return child.pid;
  } finally {
    closeSync(log);
  }
}

/**
 * The live supervisor of `project`, started first when there is none; waits (at most
 * `timeoutMs`) until its socket answers.
 *
 * @example
 * const { socket } = await ensureSupervisor(project, [process.execPath, "apps/cli/src/main.ts", "supervise"]);
 */
export async function ensureSupervisor(
  project: Project,
  command: string[],
  { timeoutMs = SUPERVISOR_START_TIMEOUT_MS } = {},
): Promise<SupervisorRecord> {
  const live = liveSupervisor(project);
  if (live && socketProblem(live.socket) === null && (await supervisorAnswers(live.socket))) return live;
  const started = performance.now();
  if (!live && launchingSupervisor(project) === null) launchSupervisor(project, command);
  for (;;) {
    const record = liveSupervisor(project);
    const problem = record ? socketProblem(record.socket) : null;
    if (record && problem) {
      throw new NoheadError(
        "failed",
        `the project's supervisor socket ${record.socket} cannot be trusted: ${problem}`,
        {
          hint: `nohead will not talk to it; remove ${dirname(record.socket)} (it is recreated private) and run the command again`,
        },
      );
    }
    if (record && (await supervisorAnswers(record.socket))) return record;
    if (performance.now() - started > timeoutMs) {
      const log = supervisorPaths(project).log;
      let tail = "";
      try {
        tail = readFileSync(log, "utf8").trim().split("\n").slice(-5).join("\n  ");
      } catch {
        // No log: the process did not even start.
      }
      throw new NoheadError(
        "failed",
        `the project's supervisor did not answer on its socket within ${timeoutMs / 1000} s`,
        {
          hint: `its log ${log} says:\n  ${tail || "(nothing)"}`,
        },
      );
    }
    // Often: the wait is a Bun process's start (~0.1 s), and each look is a file read or one request.
    await Bun.sleep(5);
  }
}
