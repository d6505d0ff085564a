/**
 * What a new watcher needs to take over a running VM, from its state file: the checks, restart
 * policy, declared forwards and runner invocation it was started with (`supervision`), so a
 * rebuilt manifest never changes a running VM's watch. A state file of an older version has no
 * `supervision`: the build's machine gives its checks then, and it is not restarted (its
 * invocation is unknown).
 */
import type { ManifestMachine, VmState } from "@nohead/schema";
import type { WatchSpec } from "./watch-vm.ts";
import type { VmPaths } from "./project.ts";

const NO_CHECKS = {
  ssh: false,
  tcp: [],
  command: null,
  initScript: false,
  intervalSeconds: 30,
  timeoutSeconds: 10,
  retries: 3,
  deadlines: { startedSeconds: 30, bootedSeconds: 300, readySeconds: 600 },
};

/**
 * The watch spec of the VM whose state is `state`; `built` is the build's machine of that name,
 * if any.
 *
 * @example
 * const spec = specFromState(read.state, vmPaths(project, "db"), fleet.manifest.machines[0]);
 */
export function specFromState(state: VmState, paths: VmPaths, built: ManifestMachine | undefined): WatchSpec {
  const supervision = state.supervision;
  const health = supervision?.health ?? built?.health ?? NO_CHECKS;
  return {
    machine: {
      name: state.name,
      runner: state.runner,
      system: state.system,
      username: state.username,
      forwards: supervision?.forwards ?? built?.forwards ?? [],
      health,
      restart: supervision?.restart ?? "no",
    },
    paths,
    display: state.display,
    keepFailed: false,
    invocation: supervision?.invocation ?? { args: [], env: {} },
    supervised: true,
  };
}
