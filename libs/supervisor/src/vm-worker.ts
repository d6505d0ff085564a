/**
 * A VM worker thread: launches one VM and watches it get ready (watch-vm.ts), reporting progress
 * to the coordinator through a Comlink proxy; a supervised VM's worker then keeps watching it for
 * its whole life (vm-life.ts) — health checks, restart policy, events — or adopts a running VM
 * whose watcher is gone. The VM itself runs in its own session and outlives this worker.
 *
 * One VM per worker: the module's state is that VM's.
 */
import { existsSync } from "node:fs";
import * as Comlink from "comlink";
import type { StopOptions, StopResult } from "@nohead/qemu";
import type { FleetEvent, VmState } from "@nohead/schema";
import { releasingProgress } from "./releasing-progress.ts";
import { type LifeEnd, VmLife } from "./vm-life.ts";
import { type Emit, launchVm, type StartProgress, type WatchOutcome, type WatchSpec } from "./watch-vm.ts";

let onEvent: Emit | null = null;
let life: VmLife | null = null;

/** Events go to the coordinator's proxy; a failed delivery (coordinator gone) is dropped. */
const emit: Emit = (event: FleetEvent) => {
  void Promise.resolve(onEvent?.(event)).catch(() => undefined);
};

const api = {
  /** Where this worker's events go (a Comlink proxy, released by `close`). */
  init(listener: Emit): void {
    onEvent = listener;
  },

  /**
   * Launches the VM and resolves once it is ready or failed — or stopped, when a stop asked for
   * it meanwhile (the start removed `stop-requested`; a stop writes it) — a supervised one stays
   * watched.
   */
  start: releasingProgress(
    async (spec: WatchSpec, onProgress: (p: StartProgress) => void): Promise<WatchOutcome> => {
      const launch = await launchVm(spec, onProgress, emit, {
        shouldAbort: () => existsSync(spec.paths.stopRequest),
      });
      if (spec.supervised && launch.outcome.readiness === "ready" && launch.state) {
        life = new VmLife(spec, launch.state, emit);
      }
      return launch.outcome;
    },
  ),

  /** Takes over the running VM of `state` (its watcher is gone); false when it is not running. */
  adopt(spec: WatchSpec, state: VmState): boolean {
    life = VmLife.adopt(spec, state, emit);
    return life !== null;
  },

  /** Watches the VM until it is stopped, exits for good, or `release` is called. */
  async watch(): Promise<LifeEnd> {
    return life ? life.run() : { kind: "released" };
  },

  /** Stops the VM (the watch then ends); never restarted. */
  async stop(options: StopOptions): Promise<StopResult> {
    if (!life) throw new Error("this worker watches no VM");
    return life.stop(options);
  },

  /** Stops watching; the VM runs on. */
  release(): void {
    life?.release();
  },

  /** Releases the event proxy, so the coordinator's process can exit. */
  async close(): Promise<void> {
    const listener = onEvent;
    onEvent = null;
    if (listener) await (listener as unknown as Comlink.Remote<unknown>)[Comlink.releaseProxy]();
  },
};
export type VmWorkerApi = typeof api;

Comlink.expose(api);
