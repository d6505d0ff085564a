/**
 * A VM worker thread: launches one VM and watches it get ready (watch-vm.ts), reporting progress
 * to the coordinator through a Comlink proxy. The VM itself runs in its own session and outlives
 * this worker.
 */
import * as Comlink from "comlink";
import { releasingProgress } from "./releasing-progress.ts";
import { watchVm } from "./watch-vm.ts";

const api = { watchVm: releasingProgress(watchVm) };
export type VmWorkerApi = typeof api;

Comlink.expose(api);
