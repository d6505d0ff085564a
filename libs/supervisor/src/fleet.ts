/**
 * The TypeScript API of nohead's runtime, used by the CLI, the agent and scripts: open a
 * project's fleet (its build result and its `.nohead/` state), start machines and wait until
 * they are ready, look at them, exec in them, read their consoles, stop them.
 *
 * @example
 * const fleet = Fleet.open({ cwd: process.cwd(), result: "result" });
 * const results = await fleet.start(["web-1"], { onProgress: (p) => console.log(p.machine, p.readiness) });
 * const { stdout } = await fleet.exec("web-1", ["hostname"]);
 * await fleet.stop(["web-1"]);
 *
 * A fleet opened with `supervise: true` is the process that hosts its VMs' watchers (the
 * supervisor, an agent): each VM it starts or adopts keeps a worker thread for its whole
 * life — health checks, restart policy, events (`subscribe`) — until it is stopped or the fleet
 * is closed. Without it, a VM's worker ends once the VM is ready (the VM runs on).
 *
 * @example
 * const fleet = Fleet.open({ cwd, supervise: true });
 * const off = fleet.subscribe((event) => console.log(event.type, event.machine, event.reason));
 * await fleet.adopt();            // VMs whose watcher is gone (a killed supervisor)
 * await fleet.start(["db"]);      // watched from now on
 * await fleet.close();            // stop watching; the VMs run on
 *
 * Read-only calls (`names`, `status`, `manifest`) load only state and schema modules; what starts,
 * stops and talks to VMs (QEMU clients, workers, locks) is imported when first used, so `status`
 * stays fast.
 */
import { existsSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { ExecResult, GuestAgentClient, StopResult, StreamedExit, StreamExecOptions } from "@nohead/qemu";
import { type DisplayEnv, displayEnvOf } from "@nohead/qemu/display-env";
import { removeStaleSocket } from "@nohead/qemu/owned-socket";
import {
  type FleetEvent,
  MANIFEST_FILE,
  Manifest,
  type ManifestMachine,
  NoheadError,
  notFoundError,
  type RestartPolicy,
  type VmState,
} from "@nohead/schema";
import { GUEST_CONTRACT } from "@nohead/schema/guest-contract";
import { z } from "zod";
import { privateNetworkOf } from "./private-network.ts";
import { isSameProcessAlive } from "./process-identity.ts";
import { findProjectOfResult, type Project, type VmPaths, vmPaths } from "./project.ts";
import type { StartProgress, StartResult, StartSpec } from "./start-vm.ts";
import { findQemuByArgument, knownVmNames, readState, setAsideCorruptState } from "./state-store.ts";
import { type VmStatus, vmStatus } from "./vm-status.ts";
import type { VmWatcher } from "./vm-watcher.ts";
import type { StartProgress as WatchProgress, WatchOutcome, WatchSpec } from "./watch-vm.ts";
import { writeState } from "./write-state.ts";

export interface StartOptions {
  display?: "none" | "window";
  /**
   * Where a window opens (`display: "window"`): the asking command's DISPLAY, WAYLAND_DISPLAY and
   * XAUTHORITY. Default: this process's own; a server passes its client's (the supervisor's own
   * are those of whichever command started it).
   */
  displayEnv?: DisplayEnv;
  fresh?: boolean;
  /** A VM that fails to become ready keeps running (for debugging) instead of being stopped. */
  keepFailed?: boolean;
  extraArgs?: string[];
  /**
   * OpenSSH public key lines the guests authorize besides the project's own key (an agent's
   * clients); one key a line, no line breaks inside.
   */
  authorizedKeys?: string[];
  /** Stop and start again the running VMs whose system is not the build's (else: reported outdated). */
  recreate?: boolean;
  onProgress?: (p: StartProgress) => void;
  /** Overrides every started machine's `restart` policy (`run --attach --restart`). */
  restart?: RestartPolicy;
}

export interface FleetOptions {
  /** Keep a worker per VM for its whole life: health checks, restart policy, events. */
  supervise?: boolean;
}

/** What `Fleet.adopt` did with one VM. */
export interface AdoptReport {
  machine: string;
  adopted: boolean;
  /** Why it was not adopted (null when it was). */
  reason: string | null;
}

export interface StopReport {
  machine: string;
  ok: boolean;
  method: StopResult["method"] | null;
  durationMs: number;
  error: string | null;
}

/** The report of stopping a machine that was not running (or never ran). */
export function notRunningReport(machine: string): StopReport {
  return { machine, ok: true, method: "already-stopped", durationMs: 0, error: null };
}

/** Whether the guest agent on `socket` answers within 1.5 s (the guest has booted). */
async function guestAnswers(socket: string): Promise<boolean> {
  try {
    const { GuestAgentClient } = await import("@nohead/qemu");
    const agent = await GuestAgentClient.connect(socket, { timeoutMs: 1500 });
    agent.close();
    return true;
  } catch {
    return false;
  }
}

/** Reads and validates `<result>/nohead-manifest.json`. */
export function loadManifest(resultPath: string): Manifest {
  const file = join(resultPath, MANIFEST_FILE);
  if (!existsSync(file)) {
    throw notFoundError(
      existsSync(resultPath)
        ? `${resultPath} holds no ${MANIFEST_FILE}`
        : `there is no build result at ${resultPath}`,
      "run `nohead build` first, or pass the result with -r/--result",
    );
  }
  const parsed = Manifest.safeParse(JSON.parse(readFileSync(file, "utf8")));
  if (!parsed.success) {
    throw new NoheadError(
      "config",
      `${file} does not match nohead's manifest schema:\n${z.prettifyError(parsed.error)}`,
      {
        hint: "rebuild with the nohead version you are running",
      },
    );
  }
  return parsed.data;
}

/** A VM watched in this process: its worker and its life (settled once it ended and was removed). */
interface Watched {
  name: string;
  watcher: VmWatcher;
  life: Promise<void>;
}

/**
 * Every VM watched in this process, by state file: one watcher per VM per process, whichever
 * Fleet object started or adopted it (the agent makes a Fleet per request).
 */
const WATCHED = new Map<string, Watched>();

/**
 * A VM's start in progress in this process (any Fleet object of its project): a stop of the VM
 * cancels it. `launching` once its start took the VM's lock (then the stop waits for `done`).
 */
interface Starting {
  name: string;
  cancelled: boolean;
  launching: boolean;
  done: Promise<unknown>;
  /** Its result, once it ended. */
  result?: StartResult;
}

/** The starts in progress in this process, by state file. */
const STARTING = new Map<string, Starting>();

/**
 * Event listeners of this process, by project state dir: any Fleet object of a project hears
 * the events of every VM of it watched here, whichever Fleet object started it.
 */
const LISTENERS = new Map<string, Set<(event: FleetEvent) => void>>();

export class Fleet {
  private manifestCache: Manifest | undefined;
  /** Whether VMs keep their worker once ready (see FleetOptions). */
  readonly supervise: boolean;

  /**
   * @param project where state lives
   * @param resultPath the build result holding the manifest
   * @param manifest a manifest given directly (the agent receives machines over HTTP); wins over resultPath
   */
  constructor(
    readonly project: Project,
    readonly resultPath: string,
    manifest?: Manifest,
    options: FleetOptions = {},
  ) {
    this.manifestCache = manifest;
    this.supervise = options.supervise ?? false;
  }

  /** The fleet built into `result` (relative to `cwd`), in the project that owns that result. */
  static open({
    cwd,
    result = "result",
    supervise = false,
  }: { cwd: string; result?: string } & FleetOptions): Fleet {
    return new Fleet(findProjectOfResult(cwd, result), resolve(cwd, result), undefined, { supervise });
  }

  /**
   * Calls `listener` with every event of this project's VMs seen in this process (start, ready,
   * healthy, unhealthy, crash, restart, failed, stop), whichever Fleet object of the project
   * started, adopted or stopped them; returns the function that unsubscribes it.
   */
  subscribe(listener: (event: FleetEvent) => void): () => void {
    const key = this.project.stateDir;
    const listeners = LISTENERS.get(key) ?? new Set();
    LISTENERS.set(key, listeners);
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && LISTENERS.get(key) === listeners) LISTENERS.delete(key);
    };
  }

  private readonly emit = (event: FleetEvent): void => {
    for (const listener of LISTENERS.get(this.project.stateDir) ?? []) {
      try {
        listener(event);
      } catch {
        // A listener's bug must not stop the others or the watcher.
      }
    }
  };

  /** Names of this project's VMs whose worker lives in this process (they are watched here). */
  watching(): string[] {
    return this.watched().map((w) => w.name);
  }

  private watched(): Watched[] {
    return this.ofThisProject(WATCHED).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The entries of a process-wide map keyed by state file that belong to this project's VMs. */
  private ofThisProject<T>(byStateFile: Map<string, T>): T[] {
    const prefix = join(this.project.stateDir, "vms/");
    return [...byStateFile.entries()].filter(([state]) => state.startsWith(prefix)).map(([, value]) => value);
  }

  /** Launches a VM in a worker; a supervising fleet keeps the worker once the VM is ready. */
  private async launchInWorker(
    spec: WatchSpec,
    onProgress: (p: WatchProgress) => void,
  ): Promise<WatchOutcome> {
    const { VmWatcher } = await import("./vm-watcher.ts");
    const watcher = await VmWatcher.create(this.emit);
    let outcome: WatchOutcome;
    try {
      outcome = await watcher.start(spec, onProgress);
    } catch (error) {
      await watcher.terminate();
      throw error;
    }
    if (spec.supervised && outcome.readiness === "ready") this.keep(spec.machine.name, watcher);
    else await watcher.terminate();
    return outcome;
  }

  /** Keeps `watcher` watching `name` until the VM's life under it ends. */
  private keep(name: string, watcher: VmWatcher): void {
    const key = vmPaths(this.project, name).state;
    const life = watcher
      .watch()
      .catch(() => undefined) // A dead worker thread: the VM runs on, adoptable again.
      .then(async () => {
        if (WATCHED.get(key)?.watcher === watcher) WATCHED.delete(key);
        await watcher.terminate();
      });
    WATCHED.set(key, { name, watcher, life });
  }

  /**
   * Takes over the running VMs of this project that no live process watches (`names`, default:
   * all): a worker per VM resumes its health checks and restart policy from its state file,
   * without restarting it. Call it when a new supervisor starts after the old one died.
   */
  async adopt(names?: string[]): Promise<AdoptReport[]> {
    const [{ VmWatcher }, { withVmLock }, { specFromState }] = await Promise.all([
      import("./vm-watcher.ts"),
      import("./vm-lock.ts"),
      import("./adopt-spec.ts"),
    ]);
    const reports: AdoptReport[] = [];
    for (const name of names ?? knownVmNames(this.project)) {
      const report = (reason: string | null) =>
        reports.push({ machine: name, adopted: reason === null, reason });
      const paths = vmPaths(this.project, name);
      if (WATCHED.has(paths.state)) {
        report("already watched in this process");
        continue;
      }
      try {
        await withVmLock(name, paths, async () => {
          const read = readState(paths);
          if (read.kind !== "ok") return report(`no readable state (${read.kind})`);
          const { state } = read;
          if (state.pid === null || !isSameProcessAlive(state.pid, state.processStartTicks))
            return report("not running");
          const owner = state.watcher;
          // This process's own record is stale here: its worker for the VM is gone (checked above).
          if (owner && owner.pid !== process.pid && isSameProcessAlive(owner.pid, owner.startTicks))
            return report(`watched by process ${owner.pid}`);
          const built = this.hasBuild() ? this.manifest.machines.find((m) => m.name === name) : undefined;
          const spec = specFromState(state, paths, built);
          const watcher = await VmWatcher.create(this.emit);
          if (!(await watcher.adopt(spec, state))) {
            await watcher.terminate();
            return report("not running");
          }
          this.keep(name, watcher);
          report(null);
        });
      } catch (error) {
        report(error instanceof Error ? error.message : String(error));
      }
    }
    return reports;
  }

  /**
   * Stops watching every VM (their workers end; the VMs run on, adoptable by another process)
   * and resolves once every worker has ended — after `timeoutMs` (a worker busy restarting its
   * VM), the workers left are ended without their goodbye (the VMs still run on).
   */
  async close({ timeoutMs = 10_000 }: { timeoutMs?: number } = {}): Promise<void> {
    const watched = this.watched();
    const watchers = watched.map((w) => w.watcher);
    const lives = watched.map((w) => w.life);
    await Promise.all(watchers.map((w) => w.release().catch(() => undefined)));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([Promise.all(lives), late]);
    clearTimeout(timer);
    await Promise.all(watchers.map((w) => w.terminate()));
    for (const { name } of watched) WATCHED.delete(vmPaths(this.project, name).state);
  }

  /** The build's manifest (throws a not-found error naming the fix when there is no build). */
  get manifest(): Manifest {
    this.manifestCache ??= loadManifest(this.resultPath);
    return this.manifestCache;
  }

  /** Whether a build result (or a given manifest) is there. */
  hasBuild(): boolean {
    return this.manifestCache !== undefined || existsSync(join(this.resultPath, MANIFEST_FILE));
  }

  /** Every machine name this project knows: from the build and from `.nohead/` state. */
  names(): string[] {
    const built = this.hasBuild() ? this.manifest.machines.map((m) => m.name) : [];
    return [...new Set([...built, ...knownVmNames(this.project)])].sort();
  }

  /** Checks `names` exist; an unknown one fails with the known names listed. */
  resolveNames(names: string[]): string[] {
    const known = this.names();
    for (const name of names) {
      if (!known.includes(name)) {
        throw notFoundError(
          `there is no machine named "${name}"`,
          known.length > 0 ? `known machines: ${known.join(", ")}` : "run `nohead build` first",
        );
      }
    }
    return names;
  }

  /** The built machine `name` (throws when the build does not have it). */
  machine(name: string): ManifestMachine {
    const machine = this.manifest.machines.find((m) => m.name === name);
    if (!machine) {
      throw notFoundError(
        `the build at ${this.resultPath} has no machine named "${name}"`,
        `machines in this build: ${this.manifest.machines.map((m) => m.name).join(", ") || "none"}`,
      );
    }
    return machine;
  }

  /** `names` and every machine they depend on, directly or not (each once). */
  withDependencies(names: string[]): string[] {
    const closure = new Set<string>();
    const visit = (name: string) => {
      if (closure.has(name)) return;
      closure.add(name);
      for (const dep of this.machine(name).dependsOn) visit(dep);
    };
    for (const name of names) visit(name);
    return [...closure];
  }

  /**
   * What {@link start} starts for `names` (default: every built machine) and their dependencies:
   * those not running (and, with `recreate`, the outdated ones), dependencies first.
   */
  machinesToStart(names?: string[], { recreate = false }: { recreate?: boolean } = {}): string[] {
    const wanted = names ?? this.manifest.machines.map((m) => m.name);
    return this.withDependencies(wanted).filter((n) => {
      const running = this.runningResult(n);
      return !running || (running.outdated && recreate);
    });
  }

  /**
   * Starts `names` (default: every built machine) and their dependencies, dependencies first,
   * each in its own worker; resolves when all are ready or failed. Like `compose up`, VMs that
   * already run are left alone and reported as such; one whose system is not the build's is
   * reported outdated, and stopped and started again only with `recreate`. A stop of a VM while
   * it starts ends its start (`readiness: "stopped"`), and its dependents are not started.
   */
  async start(names: string[] | undefined, options: StartOptions = {}): Promise<StartResult[]> {
    const { recreate = false, onProgress = () => undefined } = options;
    const wanted = names ?? this.manifest.machines.map((m) => m.name);
    const closure = this.withDependencies(wanted);
    const leftAlone: StartResult[] = [];
    const toRecreate: string[] = [];
    for (const name of closure) {
      const running = this.runningResult(name);
      if (!running) continue;
      if (running.outdated && recreate) toRecreate.push(name);
      else {
        leftAlone.push(running);
        const detail = running.outdated
          ? `outdated: runs an older system; \`nohead run ${name} --recreate\` starts it on the build's`
          : "already running";
        onProgress({ machine: name, readiness: running.readiness, detail, forwards: running.forwards });
      }
    }
    for (const report of await this.stop(toRecreate)) {
      if (!report.ok)
        throw new NoheadError("failed", `could not be stopped to be recreated: ${report.error}`, {
          machine: report.machine,
        });
    }
    const toStart = closure.filter((n) => !leftAlone.some((r) => r.machine === n));
    // Each start is known to this process's stops from now until it ends.
    const starts = new Map(
      toStart.map((name) => {
        let settle: () => void = () => undefined;
        const done = new Promise<void>((resolve) => {
          settle = resolve;
        });
        const entry: Starting = { name, cancelled: false, launching: false, done };
        STARTING.set(vmPaths(this.project, name).state, entry);
        return [name, { entry, settle }] as const;
      }),
    );
    const ended = (name: string) => {
      const start = starts.get(name);
      const key = vmPaths(this.project, name).state;
      if (start && STARTING.get(key) === start.entry) STARTING.delete(key);
      start?.settle();
    };
    try {
      return await this.startEach(closure, toStart, leftAlone, starts, ended, options);
    } finally {
      for (const name of toStart) ended(name);
    }
  }

  /** {@link start}'s second half: starts `toStart` (dependencies first), each cancellable by a stop. */
  private async startEach(
    closure: string[],
    toStart: string[],
    leftAlone: StartResult[],
    starts: Map<string, { entry: Starting }>,
    ended: (name: string) => void,
    options: StartOptions,
  ): Promise<StartResult[]> {
    const {
      display = "none",
      fresh = false,
      keepFailed = false,
      extraArgs = [],
      authorizedKeys = [],
      displayEnv = displayEnvOf(process.env),
      onProgress = () => undefined,
    } = options;
    const [{ authorizedKeysFile, ensureSshIdentity }, { startAll }, { startVm, stoppedBeforeLaunch }] =
      await Promise.all([import("./ssh-identity.ts"), import("./vm-pool.ts"), import("./start-vm.ts")]);
    const ssh = ensureSshIdentity(this.project);
    const network = privateNetworkOf(this.project);
    const specs: StartSpec[] = toStart.map((name) => {
      const built = this.machine(name);
      const machine = options.restart ? { ...built, restart: options.restart } : built;
      return {
        project: this.project,
        machine,
        supervised: this.supervise,
        display,
        displayEnv,
        fresh,
        keepFailed,
        extraArgs,
        network: machine.network ? network : null,
        cancelled: () => starts.get(name)?.entry.cancelled ?? false,
        credentials: {
          [GUEST_CONTRACT.sshAuthorizedKeysCredential]: authorizedKeysFile(
            ssh,
            vmPaths(this.project, name).dir,
            authorizedKeys,
          ),
          ...Object.fromEntries(machine.secrets.map((s) => [s.name, s.hostPath])),
        },
      };
    });
    const started =
      specs.length > 0
        ? await startAll(specs, onProgress, async (spec, progress) => {
            const { name } = spec.machine;
            const entry = starts.get(name)?.entry;
            try {
              if (entry?.cancelled) {
                const stopped = stoppedBeforeLaunch(name);
                progress({ machine: name, readiness: "stopped", detail: stopped.error ?? "", forwards: [] });
                return stopped;
              }
              if (entry) entry.launching = true;
              const result = await startVm(spec, progress, (watchSpec, watchProgress) =>
                this.launchInWorker(watchSpec, watchProgress),
              );
              if (entry) entry.result = result;
              return result;
            } finally {
              ended(name);
            }
          })
        : [];
    const byName = new Map([...leftAlone, ...started].map((r) => [r.machine, r]));
    return closure.flatMap((n) => byName.get(n) ?? []);
  }

  /** The start result of `name` when it already runs (null otherwise), saying whether it is outdated. */
  private runningResult(name: string): StartResult | null {
    const status = vmStatus(this.project, name);
    if (status.condition !== "running") return null;
    const read = readState(vmPaths(this.project, name));
    const system = read.kind === "ok" ? read.state.system : null;
    const outdated = system !== null && system !== this.machine(name).system;
    return {
      machine: name,
      ok: true,
      alreadyRunning: true,
      outdated,
      readiness: status.readiness ?? "started",
      pid: status.pid,
      forwards: status.forwards,
      health: status.health,
      error: null,
      consoleTail: [],
      warnings: outdated
        ? [
            `runs an older system than the build's; \`nohead run ${name} --recreate\` starts it on the new one`,
          ]
        : [],
      durationMs: 0,
    };
  }

  /** Reconciled status of `names` (default: every machine the project knows). */
  status(names?: string[]): VmStatus[] {
    return (names ?? this.names()).map((n) => vmStatus(this.project, n));
  }

  /** Names of this project's running VMs (never any other QEMU). */
  running(): string[] {
    return knownVmNames(this.project).filter((n) => vmStatus(this.project, n).condition === "running");
  }

  /**
   * Names of this project's VMs that a live process watches while their QEMU is down: a restart
   * policy is about to start them again.
   */
  private restarting(): string[] {
    return knownVmNames(this.project).filter((name) => {
      const read = readState(vmPaths(this.project, name));
      if (read.kind !== "ok") return false;
      const { pid, processStartTicks, watcher } = read.state;
      return (
        watcher !== null &&
        isSameProcessAlive(watcher.pid, watcher.startTicks) &&
        !(pid !== null && isSameProcessAlive(pid, processStartTicks))
      );
    });
  }

  /**
   * Stops `names` (default: every running VM of the project, and those waiting for a restart by
   * their policy) in parallel, each gracefully and bounded.
   */
  async stop(names?: string[], options: { powerdownMs?: number } = {}): Promise<StopReport[]> {
    const targets =
      names ?? [...new Set([...this.running(), ...this.restarting(), ...this.startingHere()])].sort();
    return Promise.all(targets.map((name) => this.stopOne(name, options)));
  }

  /** Names of this project's VMs whose start is in progress in this process. */
  private startingHere(): string[] {
    return this.ofThisProject(STARTING).map((s) => s.name);
  }

  /**
   * Ends the start of `name` in progress in this process, if there is one: one still queued (its
   * dependencies are starting) will launch nothing; one launching is told through
   * `stop-requested` (its worker stops the VM) and waited for. Returns how it ended, or null when
   * no start of it is in progress here, or it got ready first (then it is stopped as usual).
   */
  private async cancelStart(name: string, paths: VmPaths): Promise<StopReport | null> {
    const starting = STARTING.get(paths.state);
    if (!starting) return null;
    const started = performance.now();
    starting.cancelled = true;
    if (starting.launching) {
      try {
        writeFileSync(paths.stopRequest, `${process.pid}\n`, { mode: 0o600 });
      } catch {
        // Its directory is not made yet: `cancelled` stops it before the launch.
      }
      await starting.done;
    }
    const read = starting.result?.pid ? readState(paths) : null;
    const state = read?.kind === "ok" ? read.state : null;
    // It got ready first (or failed and was kept, --keep-failed): stopped as usual.
    if (state?.pid && isSameProcessAlive(state.pid, state.processStartTicks)) return null;
    // QEMU ran and this start stopped it: the state file says how.
    const method = state?.stop?.method;
    return {
      machine: name,
      ok: true,
      method: method ?? "already-stopped",
      durationMs: performance.now() - started,
      error: null,
    };
  }

  private async stopOne(name: string, options: { powerdownMs?: number }): Promise<StopReport> {
    const paths = vmPaths(this.project, name);
    const started = performance.now();
    try {
      const cancelled = await this.cancelStart(name, paths);
      if (cancelled) return cancelled;
      // Never started here (a stop may name a machine before its first start): nothing runs.
      if (!existsSync(paths.dir)) return notRunningReport(name);
      const [{ withVmLock }, { stopVm }] = await Promise.all([
        import("./vm-lock.ts"),
        import("@nohead/qemu"),
      ]);
      return await withVmLock(name, paths, async () => {
        // Whoever watches this VM (here or in another process) must not restart it now.
        writeFileSync(paths.stopRequest, `${process.pid}\n`, { mode: 0o600 });
        const read = readState(paths);
        // A corrupt file is set aside here: the stop below leaves a state this command knows.
        if (read.kind === "corrupt") setAsideCorruptState(paths);
        const watched = WATCHED.get(paths.state);
        if (watched) {
          const result = await watched.watcher.stop({ powerdownMs: options.powerdownMs ?? 30_000 });
          await watched.life;
          return {
            machine: name,
            ok: true,
            method: result.method,
            durationMs: result.durationMs,
            error: null,
          };
        }
        const state: VmState | null = read.kind === "ok" ? read.state : null;
        const pid =
          state?.pid ?? (read.kind === "corrupt" ? read.recoveredPid : findQemuByArgument(paths.qmp));
        if (!pid) return notRunningReport(name);
        const ticks = state?.processStartTicks ?? null;
        // A guest that never booted has nothing listening for the ACPI button: a short wait will do.
        // (The state may lag behind when the command that started it was killed: ask the agent.)
        const booted =
          state === null ||
          !["starting", "started"].includes(state.readiness) ||
          (await guestAnswers(paths.guestAgent));
        const powerdownMs = Math.min(options.powerdownMs ?? 30_000, booted ? Number.POSITIVE_INFINITY : 3000);
        const result = await stopVm(
          { pid, qmpSocket: paths.qmp, isAlive: () => isSameProcessAlive(pid, ticks) },
          { powerdownMs },
        );
        if (state) {
          writeState(paths, {
            ...state,
            readiness: "stopped",
            stop: { method: result.method, at: new Date().toISOString(), durationMs: result.durationMs },
            healthStatus: null,
            watcher: null,
          });
        }
        if (result.method !== "already-stopped") {
          this.emit({
            type: "stop",
            machine: name,
            at: new Date().toISOString(),
            reason: "stopped by a command",
            method: result.method,
          });
        }
        return { machine: name, ok: true, method: result.method, durationMs: result.durationMs, error: null };
      });
    } catch (error) {
      return {
        machine: name,
        ok: false,
        method: null,
        durationMs: performance.now() - started,
        error: error instanceof Error ? error.message : String(error),
      };
    }
  }

  /** Stops `name` and deletes its disk and state. */
  async destroy(name: string): Promise<StopReport> {
    const [report] = await this.stop([name]);
    if (report?.ok) {
      const paths = vmPaths(this.project, name);
      // Only sockets of ours go; anything else found there is refused and left for the user.
      for (const socket of [paths.qmp, paths.guestAgent, paths.console]) removeStaleSocket(socket);
      rmSync(paths.dir, { recursive: true, force: true });
      try {
        rmdirSync(paths.socketDir);
      } catch {
        // Already gone, or something other than our sockets is left in it: it stays.
      }
    }
    return report ?? { machine: name, ok: false, method: null, durationMs: 0, error: "not stopped" };
  }

  /** Runs `argv` in the guest through the guest agent (no SSH needed). */
  async exec(name: string, argv: string[], { timeoutMs = 60_000 } = {}): Promise<ExecResult> {
    return this.withGuestAgent(name, argv, async (agent, path, args) =>
      agent.exec(path, args, { timeoutMs }),
    );
  }

  /** Runs `argv` in the guest like {@link exec}, handing its output to `onOutput` as it comes. */
  async execStreaming(
    name: string,
    argv: string[],
    { timeoutMs = 60_000, onOutput }: { timeoutMs?: number; onOutput: StreamExecOptions["onOutput"] },
  ): Promise<StreamedExit> {
    const { streamExec } = await import("@nohead/qemu");
    return this.withGuestAgent(name, argv, (agent) => streamExec(agent, argv, { timeoutMs, onOutput }));
  }

  /** Connects to a running VM's guest agent for `use`, with the command split in path and args. */
  private async withGuestAgent<T>(
    name: string,
    argv: string[],
    use: (agent: GuestAgentClient, path: string, args: string[]) => Promise<T>,
  ): Promise<T> {
    const status = vmStatus(this.project, name);
    if (status.condition !== "running") {
      throw new NoheadError("conflict", `is not running (${status.condition})`, {
        machine: name,
        hint: `start it with \`nohead run ${name}\``,
      });
    }
    const [path, ...args] = argv;
    if (!path)
      throw new NoheadError("usage", "no command given", { hint: "nohead exec <vm> -- <command> [args…]" });
    const { GuestAgentClient } = await import("@nohead/qemu");
    const agent = await GuestAgentClient.connect(vmPaths(this.project, name).guestAgent, { timeoutMs: 5000 });
    try {
      return await use(agent, path, args);
    } finally {
      agent.close();
    }
  }

  /** The serial console log file of `name`. */
  consoleLog(name: string): string {
    return vmPaths(this.project, name).consoleLog;
  }
}
