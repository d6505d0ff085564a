/**
 * Runs a build job in its own worker thread, so several configurations build at once and the
 * coordinator stays free to render progress. Rejects (never hangs) when the worker dies.
 */
import type { BuildEvent, BuildJobOptions, BuildOutcome } from "@nohead/nixgen";
import * as Comlink from "comlink";
import type { BuildWorkerApi } from "./build-worker.ts";

/** Runs `options` in a new worker; `onEvent` receives its progress on this thread. */
export async function buildInWorker(
  options: BuildJobOptions,
  onEvent: (event: BuildEvent) => void,
): Promise<BuildOutcome> {
  const worker = new Worker(new URL("./build-worker.ts", import.meta.url));
  // The wrap proxy must stay referenced for the worker's life (docs/architecture.md, platform facts): it is, as `remote`.
  const remote = Comlink.wrap<BuildWorkerApi>(worker);
  const died = new Promise<never>((_, reject) => {
    worker.addEventListener("error", (event) =>
      reject(new Error(`build worker for ${options.source.label} crashed: ${event.message}`)),
    );
  });
  try {
    return await Promise.race([remote.runBuildJob(options, Comlink.proxy(onEvent)), died]);
  } finally {
    remote[Comlink.releaseProxy]();
    worker.terminate();
  }
}
