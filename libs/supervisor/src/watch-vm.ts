/**
 * The part of a VM's start that runs in its worker thread: launch the runner (detached), record
 * it in the state file, climb the readiness levels, and stop the VM again when it does not get
 * ready. The coordinator has already taken the lock and checked ports, secrets and disk
 * (start-vm.ts). A supervised VM's worker then keeps watching it (vm-life.ts), and uses this
 * again for each restart.
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
  type StopResult,
  stopVm,
  waitForBooted,
  waitForReady,
  waitForStarted,
} from "@nohead/qemu";
import type {
  BoundForward,
  FleetEvent,
  Health,
  HealthResult,
  ManifestMachine,
  ProcessRef,
  Readiness,
  VmState,
} from "@nohead/schema";
import { NoheadError } from "@nohead/schema/errors";
import { isSameProcessAlive, readProcStat } from "./process-identity.ts";
import type { VmPaths } from "./project.ts";
import { writeState } from "./write-state.ts";

/** What the worker needs to launch and watch one VM; everything decided by the coordinator. */
export interface WatchSpec {
  machine: Pick<
    ManifestMachine,
    "name" | "runner" | "system" | "username" | "forwards" | "health" | "restart"
  >;
  paths: VmPaths;
  display: "none" | "window";
  /** Leave a VM that failed to become ready running (for debugging) instead of stopping it. */
  keepFailed: boolean;
  /** The runner's argv and environment (Contract 2), from `runnerInvocation`. */
  invocation: { args: string[]; env: Record<string, string> };
  /** Whether the worker keeps watching the VM once ready (it records its process as the watcher). */
  supervised: boolean;
}

/** Sends a fleet event to the coordinator (through a Comlink proxy in a worker). */
export type Emit = (event: FleetEvent) => void;

/** The time of an event or state change. */
export const now = () => new Date().toISOString();

/** Whether `health` declares any check (a VM without one has no health status). */
export const hasChecks = (health: Health) =>
  health.ssh || health.tcp.length > 0 || health.command !== null || health.initScript;

/** This process, as the watcher of the VMs its workers watch. */
export const thisProcess = (): ProcessRef => ({
  pid: process.pid,
  startTicks: readProcStat(process.pid)?.startTicks ?? null,
});

/** A step of a VM's start, sent to the coordinator as it happens. */
export interface StartProgress {
  machine: string;
  readiness: Readiness;
  detail: string;
  forwards: BoundForward[];
  warning?: string;
}

/** Why a start ended without ready when a stop asked for it (`error` of its result). */
export const STOPPED_WHILE_STARTING = "stopped while it was starting (a stop was asked for)";

/**
 * How the watch ended: ready, failed (and stopped again) with the reason, or stopped because a
 * stop was asked for while it started.
 */
export interface WatchOutcome {
  readiness: "ready" | "failed" | "stopped";
  /** QEMU's pid (null when the runner could not be started at all). */
  pid: number | null;
  forwards: BoundForward[];
  health: HealthResult[];
  error: string | null;
}

/** A launch's end: the outcome for the coordinator, and what a watcher needs to go on. */
export interface Launch {
  outcome: WatchOutcome;
  /** The state as last written (null when the runner could not be started). */
  state: VmState | null;
  /** How it was stopped when it did not get ready (or was aborted). */
  stopped: StopResult | null;
}

export interface LaunchOptions {
  /** Restarts so far (recorded in the state). */
  restarts?: number;
  /** Checked while waiting: true ends the wait, and the VM is stopped (a stop during a restart). */
  shouldAbort?: () => boolean;
  /** Called with QEMU's pid as soon as it runs. */
  onLaunched?: (pid: number, startTicks: string | null) => void;
}

/**
 * Launches `spec.machine` and resolves when it is ready or has failed (never rejects for a VM
 * failure), writing its state file as it goes and emitting `start`, then `ready` (and `healthy`
 * when it has checks) or `failed`.
 */
export async function launchVm(
  spec: WatchSpec,
  onProgress: (p: StartProgress) => void,
  emit: Emit,
  { restarts = 0, shouldAbort = () => false, onLaunched }: LaunchOptions = {},
): Promise<Launch> {
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
    emit({ type: "failed", machine: machine.name, at: now(), reason: failure });
    return {
      outcome: { readiness: "failed", pid: null, forwards, health, error: failure },
      state: null,
      stopped: null,
    };
  }
  const startTicks = readProcStat(pid)?.startTicks ?? null;
  onLaunched?.(pid, startTicks);
  const checked = hasChecks(machine.health);
  const state: VmState = {
    schemaVersion: 1,
    name: machine.name,
    pid,
    processStartTicks: startTicks,
    startedAt: now(),
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
    healthStatus: checked ? "starting" : null,
    lastHealthCheck: null,
    healthFailures: 0,
    restarts,
    watcher: spec.supervised ? thisProcess() : null,
    supervision: {
      health: machine.health,
      restart: machine.restart,
      forwards: machine.forwards,
      invocation: spec.invocation,
    },
  };
  const save = (patch: Partial<VmState>) => {
    Object.assign(state, patch);
    writeState(paths, state);
  };
  save({});
  report("starting", `pid ${pid}`);
  emit({ type: "start", machine: machine.name, at: now(), reason: null, pid });

  const isAlive = () => isSameProcessAlive(pid, startTicks);
  const deathReason = () => {
    if (shouldAbort()) return "stopped by a command while starting";
    const log = existsSync(paths.qemuLog)
      ? readFileSync(paths.qemuLog, "utf8").trim().split("\n").slice(-5).join(" | ")
      : "";
    return log || "no message from QEMU";
  };
  const readinessInput = {
    sockets: { qmp: paths.qmp, guestAgent: paths.guestAgent },
    health: machine.health,
    isAlive: () => !shouldAbort() && isAlive(),
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
      const at = now();
      save({
        readiness: "ready",
        readyAt: at,
        health,
        initScript: await readInitStatus(agent),
        healthStatus: checked ? "healthy" : null,
        lastHealthCheck: checked ? at : null,
      });
    } finally {
      agent.close();
    }
    report("ready", `in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    emit({ type: "ready", machine: machine.name, at: now(), reason: null, pid });
    if (checked) emit({ type: "healthy", machine: machine.name, at: now(), reason: null, health });
    return { outcome: { readiness: "ready", pid, forwards, health, error: null }, state, stopped: null };
  } catch (error) {
    if (shouldAbort()) {
      // A stop came while it started: stop it (the guest may not be up to hear ACPI) and say so.
      const stopped = await stopVm(
        { pid, qmpSocket: paths.qmp, isAlive },
        { powerdownMs: 2000, stepMs: 3000 },
      );
      save({
        readiness: "stopped",
        healthStatus: null,
        watcher: null,
        stop: { method: stopped.method, at: now(), durationMs: stopped.durationMs },
      });
      report("stopped", STOPPED_WHILE_STARTING);
      emit({
        type: "stop",
        machine: machine.name,
        at: now(),
        reason: STOPPED_WHILE_STARTING,
        method: stopped.method,
      });
      return {
        outcome: { readiness: "stopped", pid, forwards, health, error: STOPPED_WHILE_STARTING },
        state,
        stopped,
      };
    }
    const message = withDoctorHint(error);
    if (error instanceof ReadinessError && error.health.length > 0) health = error.health;
    if (spec.keepFailed && isAlive()) {
      const kept = `${message}; kept running for debugging (--keep-failed): \`nohead ssh ${machine.name}\`, \`nohead logs ${machine.name}\`, then \`nohead stop ${machine.name}\``;
      save({ readiness: "failed", failure: kept, health });
      report("failed", kept);
      emit({ type: "failed", machine: machine.name, at: now(), reason: kept });
      return { outcome: { readiness: "failed", pid, forwards, health, error: kept }, state, stopped: null };
    }
    // A VM that failed to become ready is stopped, so no half-started QEMU is left behind.
    const stopped = await stopVm({ pid, qmpSocket: paths.qmp, isAlive }, { powerdownMs: 2000, stepMs: 3000 });
    save({
      readiness: "failed",
      failure: message,
      health,
      healthStatus: null,
      watcher: null,
      stop: { method: stopped.method, at: now(), durationMs: stopped.durationMs },
    });
    report("failed", message);
    emit({ type: "failed", machine: machine.name, at: now(), reason: message });
    return { outcome: { readiness: "failed", pid, forwards, health, error: message }, state, stopped };
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
