/**
 * A VM worker thread: starts one VM (start-vm.ts) and reports its progress to the coordinator
 * through a Comlink proxy. The VM itself runs in its own session and outlives this worker.
 */
import * as Comlink from "comlink";
import { releasingProgress } from "./releasing-progress.ts";
import { startVm } from "./start-vm.ts";

const api = { startVm: releasingProgress(startVm) };
export type VmWorkerApi = typeof api;

Comlink.expose(api);
