/**
 * Starts many VMs in parallel (each watched by a worker thread of its own, start-vm.ts),
 * honouring `dependsOn`: a VM starts when every machine it depends on is ready; when one of them
 * fails, it is not started and says why. One VM's failure never hides the others' results.
 */
import { NoheadError } from "@nohead/schema";
import {
  type StartProgress,
  type StartResult,
  type StartSpec,
  startVm,
  failedBeforeStart,
  stoppedBeforeLaunch,
} from "./start-vm.ts";

/** A result for a VM that was never started because a dependency failed. */
function skipped(machine: string, because: string): StartResult {
  return failedBeforeStart(machine, `not started: ${because}`);
}

/**
 * Starts every spec, dependencies first, in parallel otherwise.
 * `start` is injectable so the agent and tests can run the same ordering.
 */
export async function startAll(
  specs: StartSpec[],
  onProgress: (p: StartProgress) => void,
  start: (spec: StartSpec, onProgress: (p: StartProgress) => void) => Promise<StartResult> = startVm,
): Promise<StartResult[]> {
  const byName = new Map(specs.map((s) => [s.machine.name, s]));
  const results = new Map<string, Promise<StartResult>>();
  const resultOf = (name: string): Promise<StartResult> => {
    const existing = results.get(name);
    if (existing) return existing;
    const spec = byName.get(name);
    if (!spec) throw new Error(`unknown machine ${name}`);
    const promise = (async () => {
      // Dependencies outside this start (not in `specs`) are assumed to be handled by the caller.
      const deps = spec.machine.dependsOn.filter((d) => byName.has(d));
      const depResults = await Promise.all(deps.map(resultOf));
      const notReady = depResults.filter((r) => !r.ok);
      if (notReady.length > 0) {
        const names = notReady.map((r) => r.machine).join(", ");
        const one = notReady.length === 1;
        // Dependencies a stop ended: this start ends too, as stopped, not as a failure.
        const result = notReady.every((r) => r.readiness === "stopped")
          ? stoppedBeforeLaunch(name, `not started: ${names} ${one ? "was" : "were"} stopped while starting`)
          : skipped(name, `${names} ${one ? "is" : "are"} not ready`);
        onProgress({ machine: name, readiness: result.readiness, detail: result.error ?? "", forwards: [] });
        return result;
      }
      if (deps.length > 0)
        onProgress({
          machine: name,
          readiness: "starting",
          detail: `${deps.join(", ")} ready`,
          forwards: [],
        });
      try {
        return await start(spec, onProgress);
      } catch (error) {
        // A user error keeps its hint (an unsafe runtime directory says how to fix it).
        const why =
          error instanceof NoheadError
            ? error.messageWithHint
            : error instanceof Error
              ? error.message
              : String(error);
        const result = skipped(name, why);
        return { ...result, error: result.error?.replace("not started: ", "") ?? null };
      }
    })();
    results.set(name, promise);
    return promise;
  };
  return Promise.all(specs.map((s) => resultOf(s.machine.name)));
}
