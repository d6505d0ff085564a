/**
 * The part of a VM's start that runs in its worker thread: launch the runner (detached), record
 * it in the state file, climb the readiness levels, and stop the VM again when it does not get
 * ready. The coordinator has already taken the lock and checked ports, secrets and disk
 * (start-vm.ts).
 *
 * This file's imports are the worker's whole code: node:fs, the QEMU clients and the state
 * writer — no zod schemas, no lock library, no node:crypto — so each VM's worker stays small
 * (bench/runtime.ts measures it; worker-bundle.test.ts keeps those out).
 */
import { existsSync, readFileSync } from "node:fs";
import {
  launchRunner,
  ReadinessError,
  readInitStatus,
  stopVm,
  waitForBooted,
  waitForReady,
  waitForStarted,
} from "@nohead/qemu";
import type { BoundForward, HealthResult, ManifestMachine, Readiness, VmState } from "@nohead/schema";
import { NoheadError } from "@nohead/schema/errors";
import { isSameProcessAlive, readProcStat } from "./process-identity.ts";
import type { VmPaths } from "./project.ts";
import { writeState } from "./write-state.ts";

/** What the worker needs to launch and watch one VM; everything decided by the coordinator. */
export interface WatchSpec {
  machine: Pick<ManifestMachine, "name" | "runner" | "system" | "username" | "forwards" | "health">;
  paths: VmPaths;
  display: "none" | "window";
  /** Leave a VM that failed to become ready running (for debugging) instead of stopping it. */
  keepFailed: boolean;
  /** The runner's argv and environment (Contract 2), from `runnerInvocation`. */
  invocation: { args: string[]; env: Record<string, string> };
}

/** A step of a VM's start, sent to the coordinator as it happens. */
export interface StartProgress {
  machine: string;
  readiness: Readiness;
  detail: string;
  forwards: BoundForward[];
  warning?: string;
}

/** How the watch ended: ready, or failed (and stopped again) with the reason. */
export interface WatchOutcome {
  readiness: "ready" | "failed";
  /** QEMU's pid (null when the runner could not be started at all). */
  pid: number | null;
  forwards: BoundForward[];
  health: HealthResult[];
  error: string | null;
}

/** Launches `spec.machine` and resolves when it is ready or has failed (never rejects for a VM failure). */
export async function watchVm(
  spec: WatchSpec,
  onProgress: (p: StartProgress) => void,
): Promise<WatchOutcome> {
  const { machine, paths } = spec;
  const started = performance.now();
  let forwards: BoundForward[] = [];
  let health: HealthResult[] = [];
  const report = (readiness: Readiness, detail: string) =>
    onProgress({ machine: machine.name, readiness, detail, forwards });

  let pid: number;
  try {
    ({ pid } = launchRunner({
      name: machine.name,
      runner: machine.runner,
      args: spec.invocation.args,
      env: spec.invocation.env,
      cwd: paths.dir,
      logFile: paths.qemuLog,
    }));
  } catch (error) {
    // Errors do not cross the worker boundary with their hint: say it all here.
    const failure =
      error instanceof NoheadError
        ? error.messageWithHint
        : error instanceof Error
          ? error.message
          : String(error);
    report("failed", failure);
    return { readiness: "failed", pid: null, forwards, health, error: failure };
  }
  const startTicks = readProcStat(pid)?.startTicks ?? null;
  const state: VmState = {
    schemaVersion: 1,
    name: machine.name,
    pid,
    processStartTicks: startTicks,
    startedAt: new Date().toISOString(),
    runner: machine.runner,
    system: machine.system,
    username: machine.username,
    display: spec.display,
    forwards: [],
    sockets: { qmp: paths.qmp, guestAgent: paths.guestAgent, console: paths.console },
    consoleLog: paths.consoleLog,
    disk: paths.disk,
    readiness: "starting",
    readyAt: null,
    health: [],
    initScript: null,
    failure: null,
    stop: null,
  };
  const save = (patch: Partial<VmState>) => {
    Object.assign(state, patch);
    writeState(paths, state);
  };
  save({});
  report("starting", `pid ${pid}`);

  const isAlive = () => isSameProcessAlive(pid, startTicks);
  const deathReason = () => {
    const log = existsSync(paths.qemuLog)
      ? readFileSync(paths.qemuLog, "utf8").trim().split("\n").slice(-5).join(" | ")
      : "";
    return log || "no message from QEMU";
  };
  const readinessInput = {
    sockets: { qmp: paths.qmp, guestAgent: paths.guestAgent },
    health: machine.health,
    isAlive,
    deathReason,
    onHealth: (results: HealthResult[]) => {
      health = results;
      report(
        "booted",
        results
          .filter((r) => !r.ok)
          .map((r) => `waiting for ${r.check}`)
          .join(", "),
      );
    },
  };
  try {
    const { qmp, forwards: bound } = await waitForStarted({ ...readinessInput, forwards: machine.forwards });
    qmp.close();
    forwards = bound;
    save({ readiness: "started", forwards });
    report("started", forwards.map((f) => `${f.name} ${f.hostAddress}:${f.hostPort}`).join(", "));
    const vnc = spec.display === "window" ? vncFallback(paths.qemuLog) : null;
    if (vnc) {
      onProgress({
        machine: machine.name,
        readiness: "started",
        detail: `VNC ${vnc}`,
        forwards,
        warning: `no window could open here (no display): QEMU fell back to VNC on ${vnc}; connect a VNC viewer there`,
      });
    }

    const agent = await waitForBooted({ ...readinessInput, forwards });
    try {
      save({ readiness: "booted" });
      report("booted", "guest agent answers");
      health = await waitForReady({ ...readinessInput, forwards }, agent);
      save({
        readiness: "ready",
        readyAt: new Date().toISOString(),
        health,
        initScript: await readInitStatus(agent),
      });
    } finally {
      agent.close();
    }
    report("ready", `in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return { readiness: "ready", pid, forwards, health, error: null };
  } catch (error) {
    const message = withDoctorHint(error);
    if (error instanceof ReadinessError && error.health.length > 0) health = error.health;
    if (spec.keepFailed && isAlive()) {
      const kept = `${message}; kept running for debugging (--keep-failed): \`nohead ssh ${machine.name}\`, \`nohead logs ${machine.name}\`, then \`nohead stop ${machine.name}\``;
      save({ readiness: "failed", failure: kept, health });
      report("failed", kept);
      return { readiness: "failed", pid, forwards, health, error: kept };
    }
    // A VM that failed to become ready is stopped, so no half-started QEMU is left behind.
    const stopped = await stopVm({ pid, qmpSocket: paths.qmp, isAlive }, { powerdownMs: 2000, stepMs: 3000 });
    save({
      readiness: "failed",
      failure: message,
      health,
      stop: { method: stopped.method, at: new Date().toISOString(), durationMs: stopped.durationMs },
    });
    report("failed", message);
    return { readiness: "failed", pid, forwards, health, error: message };
  }
}

/**
 * A VM that dies or stays silent before its guest agent answers usually has a host problem
 * (QEMU missing, KVM hanging guests, a socket path too long): those failures name `nohead doctor`.
 */
function withDoctorHint(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (!(error instanceof ReadinessError) || error.level === "ready") return message;
  return `${message} (if this host is the cause, \`nohead doctor\` checks KVM, QEMU and the runtime directory)`;
}

/**
 * Where QEMU serves the VM's screen when a window was asked for but no display is there: QEMU
 * then falls back to VNC and says "VNC server running on <address>" in its log. Null otherwise.
 */
function vncFallback(qemuLog: string): string | null {
  if (!existsSync(qemuLog)) return null;
  return /VNC server running on (\S+)/.exec(readFileSync(qemuLog, "utf8"))?.[1] ?? null;
}
