/**
 * A VM worker thread: starts one VM (start-vm.ts) and reports its progress to the coordinator
 * through a Comlink proxy. The VM itself runs in its own session and outlives this worker.
 */
import * as Comlink from "comlink";
import { type StartProgress, type StartResult, type StartSpec, startVm } from "./start-vm.ts";

const api = {
  async startVm(spec: StartSpec, onProgress: (p: StartProgress) => void): Promise<StartResult> {
    try {
      return await startVm(spec, onProgress);
    } finally {
      // Releasing the progress proxy makes the coordinator close its end of the channel after
      // every progress message before it; an open port would keep the CLI from exiting.
      await (onProgress as unknown as Comlink.Remote<unknown>)[Comlink.releaseProxy]();
    }
  },
};
export type VmWorkerApi = typeof api;

Comlink.expose(api);
