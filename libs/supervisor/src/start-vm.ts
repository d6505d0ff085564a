/**
 * Starts one VM and waits until it is ready. The coordinator's half runs here, in the calling
 * thread: the VM's lock (held until the start ends), the check that it is not already running,
 * host ports, secrets, the disk, and the runner's invocation. Launching and watching it climb the
 * readiness levels is the worker's half (watch-vm.ts, one worker per VM), which records progress
 * in the VM's state file as it goes — nothing is kept in memory only, so any later command can
 * take over from the state file.
 */
import { existsSync, rmSync, statSync } from "node:fs";
import {
  assertHostPortsFree,
  checkDisk,
  type DisplayEnv,
  identityKernelParams,
  runnerInvocation,
} from "@nohead/qemu";
import type { BoundForward, HealthResult, ManifestMachine, Readiness } from "@nohead/schema";
import { NoheadError } from "@nohead/schema";
import { consoleTail } from "./console-tail.ts";
import { isSameProcessAlive } from "./process-identity.ts";
import { ensureVmDirs, type Project, vmPaths } from "./project.ts";
import { readState, setAsideCorruptState } from "./state-store.ts";
import { withVmLock } from "./vm-lock.ts";
import { startInWorker } from "./vm-watcher.ts";
import { STOPPED_WHILE_STARTING, type StartProgress, type WatchOutcome, type WatchSpec } from "./watch-vm.ts";

export type { StartProgress } from "./watch-vm.ts";

export interface StartSpec {
  project: Project;
  machine: ManifestMachine;
  display: "none" | "window";
  /** The display of the command that asked for a window (never the starting process's own). */
  displayEnv?: DisplayEnv;
  fresh: boolean;
  /** Leave a VM that failed to become ready running, for debugging. */
  keepFailed?: boolean;
  extraArgs: string[];
  /** Credentials handed to the guest: name → host file. */
  credentials: Record<string, string>;
  network: { group: string; port: number } | null;
  /** Whether its worker keeps watching it once ready (health checks, restart policy). */
  supervised?: boolean;
  /** True once a stop asked for this start to end: then it launches nothing. */
  cancelled?: () => boolean;
}

export interface StartResult {
  machine: string;
  ok: boolean;
  readiness: Readiness;
  pid: number | null;
  forwards: BoundForward[];
  health: HealthResult[];
  /** It was running already and was left alone (not started again). */
  alreadyRunning: boolean;
  /**
   * It runs a system other than the build's (left alone: `--recreate` starts it on the new one).
   */
  outdated: boolean;
  /** Why it failed (null when ready). */
  error: string | null;
  /** The last console lines, when it failed. */
  consoleTail: string[];
  warnings: string[];
  durationMs: number;
}

/**
 * The result of a machine that failed before anything started it (a dependency that failed, a
 * host that did not answer), with `error` saying why.
 */
export function failedBeforeStart(machine: string, error: string): StartResult {
  return {
    machine,
    ok: false,
    alreadyRunning: false,
    outdated: false,
    readiness: "failed",
    pid: null,
    forwards: [],
    health: [],
    error,
    consoleTail: [],
    warnings: [],
    durationMs: 0,
  };
}

/**
 * The result of a machine whose start a stop ended before anything was launched (`because`: the
 * reason, default {@link STOPPED_WHILE_STARTING}): `readiness: "stopped"`, not a failure of it.
 */
export function stoppedBeforeLaunch(machine: string, because = STOPPED_WHILE_STARTING): StartResult {
  return { ...failedBeforeStart(machine, because), readiness: "stopped" };
}

/**
 * Starts `spec.machine` and resolves when it is ready or has failed (never rejects for a VM
 * failure). `watch` launches and watches it — in a worker of its own unless the caller (a
 * supervising Fleet, a test) says otherwise. A stop asked for meanwhile (`spec.cancelled`, then
 * the `stop-requested` file the worker watches) ends it with `readiness: "stopped"`.
 */
export async function startVm(
  spec: StartSpec,
  onProgress: (p: StartProgress) => void,
  watch: (spec: WatchSpec, onProgress: (p: StartProgress) => void) => Promise<WatchOutcome> = startInWorker,
): Promise<StartResult> {
  const { project, machine } = spec;
  const paths = vmPaths(project, machine.name);
  const started = performance.now();
  const warnings: string[] = [];
  ensureVmDirs(project, paths);
  // Where this boot's console output starts: the log is appended across runs.
  const consoleStart = existsSync(paths.consoleLog) ? statSync(paths.consoleLog).size : 0;

  const report = (readiness: Readiness, detail: string, warning?: string) => {
    if (warning) warnings.push(warning);
    onProgress({ machine: machine.name, readiness, detail, forwards: [], ...(warning ? { warning } : {}) });
  };
  const finish = (outcome: WatchOutcome): StartResult => ({
    machine: machine.name,
    ok: outcome.error === null,
    alreadyRunning: false,
    outdated: false,
    readiness: outcome.readiness,
    pid: outcome.pid,
    forwards: outcome.forwards,
    health: outcome.health,
    error: outcome.error,
    consoleTail: outcome.error === null ? [] : consoleTail(paths.consoleLog, 20, consoleStart),
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
          `its state file was corrupt (${previous.reason}); moved to ${setAsideCorruptState(paths)}`,
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
      // A stop asked for earlier is over: the VM's new watcher may restart it again.
      rmSync(paths.stopRequest, { force: true });
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

      const privateNetwork =
        spec.network && machine.network ? { ...spec.network, mac: machine.network.mac } : null;
      const runner = runnerInvocation({
        disk: paths.disk,
        tmpDir: paths.tmp,
        forwards: machine.forwards,
        sockets: {
          qmp: paths.qmp,
          guestAgent: paths.guestAgent,
          console: paths.console,
          events: paths.events,
        },
        consoleLog: paths.consoleLog,
        display: spec.display,
        privateNetwork,
        credentials: spec.credentials,
        // One runner serves every instance of a type: the instance learns who it is from these.
        kernelParams: identityKernelParams(machine, privateNetwork !== null),
        extraArgs: spec.extraArgs,
      });
      // Recorded with the invocation: a restart opens its window on the same display.
      const windowEnv = spec.display === "window" ? (spec.displayEnv ?? {}) : {};
      const invocation = { ...runner, env: { ...runner.env, ...windowEnv } };
      const supervised = spec.supervised ?? false;
      // The last moment before launching: a stop asked for by now launches nothing; one asked
      // for later writes stop-requested (removed above), which the worker watches.
      if (spec.cancelled?.()) {
        report("stopped", STOPPED_WHILE_STARTING);
        return { ...stoppedBeforeLaunch(machine.name), warnings, durationMs: performance.now() - started };
      }
      return finish(
        await watch(
          {
            machine,
            paths,
            display: spec.display,
            keepFailed: spec.keepFailed ?? false,
            invocation,
            supervised,
          },
          onProgress,
        ),
      );
    });
  } catch (error) {
    if (error instanceof NoheadError) {
      report("failed", error.message);
      // Nothing was launched: no pid, ports or console of this start to show.
      const failed = finish({
        readiness: "failed",
        pid: null,
        forwards: [],
        health: [],
        error: error.messageWithHint,
      });
      return { ...failed, consoleTail: [] };
    }
    throw error;
  }
}
