/**
 * The coordinator's handle on one VM worker thread (vm-worker.ts): start or adopt the VM, keep
 * watching it, stop it, release it, end the thread. Calls fail (never hang) when the worker
 * thread dies.
 */
import * as Comlink from "comlink";
import type { StopOptions, StopResult } from "@nohead/qemu";
import type { FleetEvent, VmState } from "@nohead/schema";
import type { LifeEnd } from "./vm-life.ts";
import type { VmWorkerApi } from "./vm-worker.ts";
import type { StartProgress, WatchOutcome, WatchSpec } from "./watch-vm.ts";
import { vmWorkerEntry } from "./worker-entry.ts";

export class VmWatcher {
  private terminated = false;

  private constructor(
    private readonly worker: Worker,
    // Kept referenced for the worker's whole life (FACTS: a collected wrap proxy ends the worker).
    private readonly remote: Comlink.Remote<VmWorkerApi>,
    private readonly crashed: Promise<never>,
  ) {}

  /** A new worker thread whose events go to `onEvent`. */
  static async create(onEvent: (event: FleetEvent) => void): Promise<VmWatcher> {
    const worker = new Worker(await vmWorkerEntry());
    const remote = Comlink.wrap<VmWorkerApi>(worker);
    const crashed = new Promise<never>((_, reject) =>
      worker.addEventListener("error", (event) => reject(new Error(`VM worker crashed: ${event.message}`))),
    );
    crashed.catch(() => undefined);
    const watcher = new VmWatcher(worker, remote, crashed);
    await watcher.call(remote.init(Comlink.proxy(onEvent)));
    return watcher;
  }

  private call<T>(promise: Promise<T>): Promise<T> {
    return Promise.race([promise, this.crashed]);
  }

  /** Launches the VM; resolves when it is ready or failed. */
  start(spec: WatchSpec, onProgress: (p: StartProgress) => void): Promise<WatchOutcome> {
    return this.call(this.remote.start(spec, Comlink.proxy(onProgress)));
  }

  /** Takes over the running VM of `state`; false when it is not running. */
  adopt(spec: WatchSpec, state: VmState): Promise<boolean> {
    return this.call(this.remote.adopt(spec, state));
  }

  /** Resolves when the VM's life under this worker ends. */
  watch(): Promise<LifeEnd> {
    return this.call<LifeEnd>(this.remote.watch());
  }

  stop(options: StopOptions): Promise<StopResult> {
    return this.call(this.remote.stop(options));
  }

  /** Asks the worker to stop watching (the VM runs on); `watch()` resolves then. */
  release(): Promise<void> {
    return this.call(this.remote.release());
  }

  /** Releases the event proxy and ends the thread. */
  async terminate(): Promise<void> {
    if (this.terminated) return;
    this.terminated = true;
    await this.call(this.remote.close()).catch(() => undefined);
    this.remote[Comlink.releaseProxy]();
    this.worker.terminate();
  }
}

/**
 * Launches a VM in a worker of its own that ends once the VM is ready or failed (nothing keeps
 * watching it): how a process that does not host the VM's watcher starts it.
 */
export async function startInWorker(
  spec: WatchSpec,
  onProgress: (p: StartProgress) => void,
): Promise<WatchOutcome> {
  const watcher = await VmWatcher.create(() => undefined);
  try {
    return await watcher.start(spec, onProgress);
  } finally {
    await watcher.terminate();
  }
}
