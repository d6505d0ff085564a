/**
 * A build worker thread: runs one configuration's build job (libs/nixgen) and streams its
 * progress back to the coordinator through a Comlink proxy callback.
 */
import { runBuildJob } from "@nohead/nixgen";
import { releasingProgress } from "@nohead/supervisor/releasing-progress";
import * as Comlink from "comlink";

const api = { runBuildJob: releasingProgress(runBuildJob) };
export type BuildWorkerApi = typeof api;

Comlink.expose(api);
