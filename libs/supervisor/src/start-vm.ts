/**
 * Starts one VM and waits until it is ready: lock, port checks, disk check, launch (detached),
 * then the readiness levels, recording progress in the VM's state file as it goes. This is what
 * a VM worker runs; it holds no state of its own, so any later command can take over from the
 * state file.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import type { BoundForward, HealthResult, ManifestMachine, Readiness, VmState } from "@nohead/schema";
import { NoheadError } from "@nohead/schema";
import {
  assertHostPortsFree,
  checkDisk,
  launchRunner,
  ReadinessError,
  readInitStatus,
  runnerInvocation,
  stopVm,
  waitForBooted,
  waitForReady,
  waitForStarted,
} from "@nohead/qemu";
import { consoleTail } from "./console-tail.ts";
import { isSameProcessAlive, readProcStat } from "./process-identity.ts";
import { ensureVmDirs, type Project, vmPaths } from "./project.ts";
import { readState, writeState } from "./state-store.ts";
import { withVmLock } from "./vm-lock.ts";

export interface StartSpec {
  project: Project;
  machine: ManifestMachine;
  display: "none" | "window";
  fresh: boolean;
  extraArgs: string[];
  /** Credentials handed to the guest: name → host file. */
  credentials: Record<string, string>;
  network: { group: string; port: number } | null;
}

/** A step of a VM's start, sent to the coordinator as it happens. */
export interface StartProgress {
  machine: string;
  readiness: Readiness;
  detail: string;
  forwards: BoundForward[];
  warning?: string;
}

export interface StartResult {
  machine: string;
  ok: boolean;
  readiness: Readiness;
  pid: number | null;
  forwards: BoundForward[];
  health: HealthResult[];
  /** Why it failed (null when ready). */
  failure: string | null;
  /** The last console lines, when it failed. */
  consoleTail: string[];
  warnings: string[];
  durationMs: number;
}

/** Starts `spec.machine` and resolves when it is ready or has failed (never rejects for a VM failure). */
export async function startVm(spec: StartSpec, onProgress: (p: StartProgress) => void): Promise<StartResult> {
  const { project, machine } = spec;
  const paths = vmPaths(project, machine.name);
  const started = performance.now();
  const warnings: string[] = [];
  let pid: number | null = null;
  let forwards: BoundForward[] = [];
  let health: HealthResult[] = [];
  ensureVmDirs(paths);
  // Where this boot's console output starts: the log is appended across runs.
  const consoleStart = existsSync(paths.consoleLog) ? statSync(paths.consoleLog).size : 0;

  const report = (readiness: Readiness, detail: string, warning?: string) => {
    if (warning) warnings.push(warning);
    onProgress({ machine: machine.name, readiness, detail, forwards, ...(warning ? { warning } : {}) });
  };
  const finish = (readiness: Readiness, failure: string | null): StartResult => ({
    machine: machine.name,
    ok: failure === null,
    readiness,
    pid,
    forwards,
    health,
    failure,
    consoleTail: failure === null ? [] : consoleTail(paths.consoleLog, 20, consoleStart),
    warnings,
    durationMs: performance.now() - started,
  });

  try {
    return await withVmLock(machine.name, paths, async () => {
      const previous = readState(paths);
      if (
        previous.kind === "ok" &&
        previous.state.pid &&
        isSameProcessAlive(previous.state.pid, previous.state.processStartTicks)
      ) {
        throw new NoheadError("conflict", `is already running (pid ${previous.state.pid})`, {
          machine: machine.name,
          hint: `use \`nohead restart ${machine.name}\` to restart it`,
        });
      }
      if (previous.kind === "corrupt") {
        report(
          "starting",
          "",
          `its state file was corrupt (${previous.reason}); moved to ${previous.movedTo}`,
        );
        if (previous.recoveredPid) {
          throw new NoheadError(
            "conflict",
            `is already running (pid ${previous.recoveredPid}, found by its QMP socket)`,
            {
              machine: machine.name,
              hint: `stop it with \`nohead stop ${machine.name}\` first`,
            },
          );
        }
      }
      await assertHostPortsFree(machine.name, machine.forwards);
      for (const [name, file] of Object.entries(spec.credentials)) {
        if (!existsSync(file)) {
          throw new NoheadError("config", `secret "${name}" is read from ${file}, which does not exist`, {
            machine: machine.name,
            hint: "create the file (it is read at run time and never copied to the Nix store) or remove the option",
          });
        }
      }
      const disk = checkDisk(paths.disk, paths.diskRecord, machine.system, spec.fresh);
      if (disk.kind === "stale") {
        report(
          "starting",
          "",
          `its disk was made by another system (${disk.madeBy ?? "unknown"}); keeping it — run with --fresh to recreate it`,
        );
      } else if (disk.kind === "recreated") {
        report("starting", "", "recreated its disk (--fresh)");
      }

      const invocation = runnerInvocation({
        disk: paths.disk,
        tmpDir: paths.tmp,
        forwards: machine.forwards,
        sockets: { qmp: paths.qmp, guestAgent: paths.guestAgent, console: paths.console },
        consoleLog: paths.consoleLog,
        display: spec.display,
        privateNetwork:
          spec.network && machine.network ? { ...spec.network, mac: machine.network.mac } : null,
        credentials: spec.credentials,
        kernelParams: [],
        extraArgs: spec.extraArgs,
      });
      const launched = launchRunner({
        name: machine.name,
        runner: machine.runner,
        args: invocation.args,
        env: invocation.env,
        cwd: paths.dir,
        logFile: paths.qemuLog,
      });
      pid = launched.pid;
      const startTicks = readProcStat(launched.pid)?.startTicks ?? null;
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

      const launchedPid = launched.pid;
      const isAlive = () => isSameProcessAlive(launchedPid, startTicks);
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
        const { qmp, forwards: bound } = await waitForStarted({
          ...readinessInput,
          forwards: machine.forwards,
        });
        qmp.close();
        forwards = bound;
        save({ readiness: "started", forwards });
        report("started", forwards.map((f) => `${f.name} ${f.hostAddress}:${f.hostPort}`).join(", "));

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
        return finish("ready", null);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (error instanceof ReadinessError && error.health.length > 0) health = error.health;
        // A VM that failed to become ready is stopped, so no half-started QEMU is left behind.
        const stopped = await stopVm(
          { pid: launchedPid, qmpSocket: paths.qmp, isAlive },
          { powerdownMs: 2000, stepMs: 3000 },
        );
        save({
          readiness: "failed",
          failure: message,
          health,
          stop: { method: stopped.method, at: new Date().toISOString(), durationMs: stopped.durationMs },
        });
        report("failed", message);
        return finish("failed", message);
      }
    });
  } catch (error) {
    if (error instanceof NoheadError) {
      report("failed", error.message);
      const result = finish("failed", error.hint ? `${error.message} (${error.hint})` : error.message);
      return { ...result, consoleTail: [] };
    }
    throw error;
  }
}
