/**
 * A supervised VM's life in its worker thread, from ready until it is stopped, exits for good,
 * or the worker is released: the worker watches QEMU's exit (pid + start time every second, and
 * the events monitor closing at once), runs the machine's health checks every `interval`, keeps
 * `starting | healthy | unhealthy` in the state file, and applies the restart policy with
 * backoff. It is the only writer of its VM's state file while it watches; a stop by another
 * process is announced by the `stop-requested` file and never restarted.
 *
 * Runs in the worker (vm-worker.ts): no zod, no lock library (worker-bundle.test.ts).
 */
import { existsSync, readFileSync } from "node:fs";
import {
  ExitWatch,
  GuestAgentClient,
  type QemuExit,
  qemuExit,
  runHealthChecks,
  type StopOptions,
  type StopResult,
  stopVm,
} from "@nohead/qemu";
import type { HealthResult, VmState } from "@nohead/schema";
import { nextHealth } from "./health-tracker.ts";
import { isSameProcessAlive } from "./process-identity.ts";
import { RESTART_STREAK_RESET_MS, restartDelayMs, restartsAfter } from "./restart-policy.ts";
import { type Emit, hasChecks, launchVm, now, thisProcess, type WatchSpec } from "./watch-vm.ts";
import { writeState } from "./write-state.ts";

/** How a VM's life under this worker ended. */
export type LifeEnd =
  | { kind: "stopped" }
  | { kind: "exited"; reason: string }
  | { kind: "released" }
  | { kind: "taken-over"; reason: string };

/** How often the watcher looks at /proc for QEMU between health checks. */
const POLL_MS = 1000;

/** The checks' results, or one failing result when they took longer than `timeoutMs`. */
async function withDeadline(run: Promise<HealthResult[]>, timeoutMs: number): Promise<HealthResult[]> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<HealthResult[]>((resolve) => {
    timer = setTimeout(
      () =>
        resolve([
          { check: "timeout", ok: false, detail: `the checks took longer than ${timeoutMs / 1000} s` },
        ]),
      timeoutMs,
    );
  });
  const guarded = run.catch((error: unknown) => [
    { check: "checks", ok: false, detail: error instanceof Error ? error.message : String(error) },
  ]);
  try {
    return await Promise.race([guarded, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** "ssh: connection closed before an SSH banner; tcp:80: …" */
function failingSummary(results: HealthResult[]): string {
  return results
    .filter((r) => !r.ok)
    .map((r) => `${r.check}: ${r.detail}`)
    .join("; ");
}

export class VmLife {
  private pid: number;
  private ticks: string | null;
  private released = false;
  private ended = false;
  private stopOptions: StopOptions | null = null;
  private stopDone: Promise<StopResult> | null = null;
  private resolveStop: (result: StopResult) => void = () => undefined;
  private rejectStop: (error: Error) => void = () => undefined;
  private wakeUp: (() => void) | null = null;
  /** Restarts in a row; reset once the VM stayed ready for RESTART_STREAK_RESET_MS. */
  private streak = 0;
  private readySince = performance.now();

  /**
   * @param spec how to launch it again (a restart) and its checks
   * @param state its state as last written (by the launch, or read by the adopting coordinator)
   */
  constructor(
    private readonly spec: WatchSpec,
    private state: VmState,
    private readonly emit: Emit,
  ) {
    if (state.pid === null) throw new Error(`${spec.machine.name}: a watched VM needs a pid`);
    this.pid = state.pid;
    this.ticks = state.processStartTicks;
  }

  /**
   * Takes over a running VM whose watcher is gone: records this process as its watcher and
   * resumes from its state. Returns null (and writes nothing) when its QEMU is not running.
   */
  static adopt(spec: WatchSpec, state: VmState, emit: Emit): VmLife | null {
    if (state.pid === null || !isSameProcessAlive(state.pid, state.processStartTicks)) return null;
    const life = new VmLife(spec, state, emit);
    const checked = hasChecks(spec.machine.health);
    life.save({
      watcher: thisProcess(),
      healthStatus: checked ? (state.healthStatus ?? "starting") : null,
    });
    return life;
  }

  /** Watches until the VM is stopped, exits for good, or the watcher is released. */
  async run(): Promise<LifeEnd> {
    try {
      let watched = await this.watchRunning();
      for (;;) {
        if ("kind" in watched) return watched;
        const exit: QemuExit = watched;
        const restart = restartsAfter(this.spec.machine.restart, exit);
        const event = { machine: this.spec.machine.name, at: now(), reason: exit.reason };
        if (exit.clean) {
          this.emit({ ...event, type: "stop", method: exit.byGuest ? "guest-shutdown" : "quit" });
        } else {
          this.emit({ ...event, type: "crash", pid: this.pid, willRestart: restart });
        }
        if (!restart) {
          this.save({
            ...(exit.clean
              ? {
                  readiness: "stopped",
                  stop: { method: exit.byGuest ? "guest-shutdown" : "quit", at: now(), durationMs: 0 },
                }
              : { failure: exit.reason }),
            healthStatus: null,
            watcher: null,
          });
          return { kind: "exited", reason: exit.reason };
        }
        const end = await this.restart(exit.reason);
        if (end) return end;
        watched = await this.watchRunning();
      }
    } finally {
      this.ended = true;
    }
  }

  /**
   * Stops the VM gracefully (see stopVm) and ends the watch; the exit is not restarted. Resolves
   * with how it was stopped.
   */
  stop(options: StopOptions = {}): Promise<StopResult> {
    if (this.ended) {
      return stopVm(
        { pid: this.pid, qmpSocket: this.spec.paths.qmp, isAlive: () => this.isAlive() },
        options,
      );
    }
    this.stopOptions ??= options;
    this.stopDone ??= new Promise<StopResult>((resolve, reject) => {
      this.resolveStop = resolve;
      this.rejectStop = reject;
    });
    this.wake();
    return this.stopDone;
  }

  /** Stops watching and leaves the VM running (another process may adopt it). */
  release(): void {
    this.released = true;
    this.wake();
  }

  private isAlive(): boolean {
    return isSameProcessAlive(this.pid, this.ticks);
  }

  private stopRequested(): boolean {
    return this.stopOptions !== null || existsSync(this.spec.paths.stopRequest);
  }

  private save(patch: Partial<VmState>): void {
    Object.assign(this.state, patch);
    writeState(this.spec.paths, this.state);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = null;
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.wakeUp = done;
    });
  }

  private wake(): void {
    this.wakeUp?.();
  }

  /** A stop or a release asked for while watching: carry it out and say how the life ends. */
  private async interrupted(): Promise<LifeEnd | null> {
    if (this.stopOptions) return this.performStop(this.stopOptions);
    if (this.released) {
      this.save({ watcher: null });
      return { kind: "released" };
    }
    return null;
  }

  private async performStop(options: StopOptions): Promise<LifeEnd> {
    try {
      const result = await stopVm(
        { pid: this.pid, qmpSocket: this.spec.paths.qmp, isAlive: () => this.isAlive() },
        options,
      );
      this.save({
        readiness: "stopped",
        stop: { method: result.method, at: now(), durationMs: result.durationMs },
        healthStatus: null,
        watcher: null,
      });
      this.emit({
        type: "stop",
        machine: this.spec.machine.name,
        at: now(),
        reason: "stopped by a command",
        method: result.method,
      });
      this.resolveStop(result);
    } catch (error) {
      this.rejectStop(error instanceof Error ? error : new Error(String(error)));
    }
    return { kind: "stopped" };
  }

  /** Watches the running VM: health checks every interval; returns how QEMU exited, or why the watch ended. */
  private async watchRunning(): Promise<LifeEnd | QemuExit> {
    const { health } = this.spec.machine;
    const checked = hasChecks(health);
    const intervalMs = health.intervalSeconds * 1000;
    let exitWatch = await ExitWatch.connect(this.spec.paths.events);
    let shutdown = exitWatch?.shutdown ?? null;
    let nextCheck = performance.now() + intervalMs;
    try {
      for (;;) {
        const end = await this.interrupted();
        if (end) return end;
        shutdown = exitWatch?.shutdown ?? shutdown;
        if (!this.isAlive()) {
          if (existsSync(this.spec.paths.stopRequest)) {
            // Another process stopped it (it writes the state): just say so.
            this.emit({
              type: "stop",
              machine: this.spec.machine.name,
              at: now(),
              reason: "stopped by another command",
              method: null,
            });
            return { kind: "stopped" };
          }
          return qemuExit(shutdown);
        }
        if (performance.now() - this.readySince >= RESTART_STREAK_RESET_MS) this.streak = 0;
        if (checked && performance.now() >= nextCheck) {
          await this.check();
          // A worker lives as long as its VM: collect each run's garbage (sockets, state text)
          // now rather than let every VM's heap grow towards the next full collection.
          Bun.gc(false);
          nextCheck = performance.now() + intervalMs;
          continue;
        }
        const wait = checked ? Math.min(POLL_MS, nextCheck - performance.now()) : POLL_MS;
        const closed = exitWatch?.closed.then(() => "closed" as const);
        if ((await Promise.race([this.sleep(wait), ...(closed ? [closed] : [])])) === "closed") {
          // QEMU closed its monitor: it is exiting, or the monitor went away; poll from now on.
          shutdown = exitWatch?.shutdown ?? shutdown;
          exitWatch?.close();
          exitWatch = null;
          for (let i = 0; i < 40 && this.isAlive(); i++) await Bun.sleep(50);
        }
      }
    } finally {
      exitWatch?.close();
    }
  }

  /** Runs the checks once (bounded by the timeout) and records the result. */
  private async check(): Promise<void> {
    const { health, name } = this.spec.machine;
    const timeoutMs = health.timeoutSeconds * 1000;
    const results = await withDeadline(this.runChecks(timeoutMs), timeoutMs);
    // A VM going away (or being stopped) is not unhealthy: the loop deals with it.
    if (!this.isAlive() || this.stopRequested() || this.released) return;
    const ok = results.every((r) => r.ok);
    const before = this.state.healthStatus;
    const track = nextHealth(
      { status: before ?? "starting", failures: this.state.healthFailures },
      ok,
      health.retries,
    );
    this.save({
      health: results,
      healthStatus: track.status,
      healthFailures: track.failures,
      lastHealthCheck: now(),
    });
    if (track.status !== before && track.status !== "starting") {
      this.emit({
        type: track.status,
        machine: name,
        at: now(),
        reason: ok ? null : failingSummary(results),
        health: results,
      });
    }
  }

  private async runChecks(timeoutMs: number): Promise<HealthResult[]> {
    const { health } = this.spec.machine;
    let agent: GuestAgentClient | null = null;
    if (health.command !== null || health.initScript) {
      agent = await GuestAgentClient.connect(this.spec.paths.guestAgent, { timeoutMs }).catch(() => null);
    }
    try {
      return await runHealthChecks({ health, forwards: this.state.forwards }, agent, { timeoutMs });
    } finally {
      agent?.close();
    }
  }

  /** Whether another process started this VM again meanwhile (its state names another live QEMU). */
  private takenOver(): string | null {
    try {
      const current = JSON.parse(readFileSync(this.spec.paths.state, "utf8")) as Partial<VmState>;
      if (
        current.pid &&
        current.pid !== this.pid &&
        isSameProcessAlive(current.pid, current.processStartTicks ?? null)
      ) {
        return `started again by another command (pid ${current.pid})`;
      }
    } catch {
      // No readable state: nothing took it over.
    }
    return null;
  }

  /**
   * Restarts QEMU after `reason`, with backoff, until it is ready again (null) or the life ends
   * (stopped, released, taken over).
   */
  private async restart(reason: string): Promise<LifeEnd | null> {
    const { machine } = this.spec;
    const checked = hasChecks(machine.health);
    let why = reason;
    for (;;) {
      this.streak += 1;
      const delayMs = restartDelayMs(this.streak);
      this.save({
        failure: `${why}; restarting in ${delayMs / 1000} s (restart ${this.streak} in a row)`,
        healthStatus: checked ? "starting" : null,
        healthFailures: 0,
        watcher: thisProcess(),
      });
      await this.sleep(delayMs);
      const end = await this.interrupted();
      if (end) return end;
      if (existsSync(this.spec.paths.stopRequest)) return { kind: "stopped" };
      const other = this.takenOver();
      if (other) return { kind: "taken-over", reason: other };
      this.emit({
        type: "restart",
        machine: machine.name,
        at: now(),
        reason: why,
        attempt: this.streak,
        delayMs,
      });
      const launch = await launchVm(this.spec, () => undefined, this.emit, {
        restarts: this.state.restarts + 1,
        shouldAbort: () => this.stopOptions !== null,
        onLaunched: (pid, ticks) => {
          this.pid = pid;
          this.ticks = ticks;
        },
      });
      if (launch.state) this.state = launch.state;
      else this.state.restarts += 1;
      if (launch.outcome.readiness === "ready") {
        this.readySince = performance.now();
        return null;
      }
      if (this.stopOptions) {
        // The stop came during the restart, which stopped the half-started VM.
        const method = launch.stopped?.method ?? "already-stopped";
        if (launch.outcome.readiness !== "stopped") {
          // (A stopped launch has recorded and announced it already.)
          this.save({ readiness: "stopped", stop: { method, at: now(), durationMs: 0 }, watcher: null });
          this.emit({
            type: "stop",
            machine: machine.name,
            at: now(),
            reason: "stopped by a command",
            method,
          });
        }
        this.resolveStop(launch.stopped ?? { method, durationMs: 0 });
        return { kind: "stopped" };
      }
      const released = await this.interrupted();
      if (released) return released;
      why = launch.outcome.error ?? "it did not get ready";
    }
  }
}
