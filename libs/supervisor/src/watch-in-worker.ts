/**
 * Runs a VM's watch (watch-vm.ts) in a worker thread of its own, with progress coming back through
 * a Comlink proxy. The worker ends once the VM is ready or failed; the VM runs on in its own session.
 */
import * as Comlink from "comlink";
import type { VmWorkerApi } from "./vm-worker.ts";
import type { StartProgress, WatchOutcome, WatchSpec } from "./watch-vm.ts";
import { vmWorkerEntry } from "./worker-entry.ts";

export async function watchInWorker(
  spec: WatchSpec,
  onProgress: (p: StartProgress) => void,
): Promise<WatchOutcome> {
  const worker = new Worker(await vmWorkerEntry());
  // Keep the wrap proxy referenced for the worker's whole life (GC would end the worker: docs/architecture.md, platform facts).
  const remote = Comlink.wrap<VmWorkerApi>(worker);
  const crashed = new Promise<never>((_, reject) =>
    worker.addEventListener("error", (event) => reject(new Error(`VM worker crashed: ${event.message}`))),
  );
  try {
    return await Promise.race([remote.watchVm(spec, Comlink.proxy(onProgress)), crashed]);
  } finally {
    remote[Comlink.releaseProxy]();
    worker.terminate();
  }
}
