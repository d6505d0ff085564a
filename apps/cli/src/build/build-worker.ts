/**
 * A build worker thread: runs one configuration's build job (libs/nixgen) and streams its
 * progress back to the coordinator through a Comlink proxy callback.
 */
import { type BuildEvent, type BuildJobOptions, type BuildOutcome, runBuildJob } from "@nohead/nixgen";
import * as Comlink from "comlink";

const api = {
  async runBuildJob(options: BuildJobOptions, onEvent: (event: BuildEvent) => void): Promise<BuildOutcome> {
    try {
      return await runBuildJob(options, onEvent);
    } finally {
      // An unreleased progress proxy keeps a port open, and with it the CLI (see vm-worker.ts).
      await (onEvent as unknown as Comlink.Remote<unknown>)[Comlink.releaseProxy]();
    }
  },
};
export type BuildWorkerApi = typeof api;

Comlink.expose(api);
