/**
 * `nohead run <vm> [qemu args…]` and `nohead runall`: start VMs (dependencies first) and return
 * when they are ready, with a live line per VM; `--attach` stays in the foreground, streams the
 * consoles, restarts crashed VMs by policy, and stops everything on Ctrl-C.
 */
import type { StartResult } from "@nohead/supervisor";
import { usageError } from "@nohead/schema";
import { takeOwnOptions } from "../argv.ts";
import { attach } from "../attach.ts";
import { openFleet } from "../open-fleet.ts";
import type { GlobalOptions } from "../program.ts";
import { StartView } from "../start-view.ts";

export interface RunOptions {
  window?: boolean;
  noui?: boolean;
  fresh?: boolean;
  attach?: boolean;
  restart?: "no" | "on-failure";
  json?: boolean;
}

/** The display mode: -w/-n when given; else a window when there is a display, headless otherwise. */
export function displayOf(options: RunOptions): "none" | "window" {
  if (options.window && options.noui) throw usageError("-w/--window and -n/--noui exclude each other");
  if (options.window) return "window";
  if (options.noui) return "none";
  return process.env.DISPLAY || process.env.WAYLAND_DISPLAY ? "window" : "none";
}

/** Starts `names` (all when undefined) and reports; shared by run, runall and restart. */
export async function startAndReport(
  globals: GlobalOptions,
  names: string[] | undefined,
  options: RunOptions,
  extraArgs: string[] = [],
): Promise<number> {
  const fleet = openFleet(globals);
  const wanted = names ?? fleet.manifest.machines.map((m) => m.name);
  if (names) for (const name of names) fleet.machine(name);
  const view = options.json ? undefined : new StartView(wanted);
  const results: StartResult[] = await fleet.start(names, {
    display: displayOf(options),
    fresh: options.fresh ?? false,
    extraArgs,
    onProgress: (p) => view?.update(p),
  });
  view?.finish(results);
  if (options.json) process.stdout.write(`${JSON.stringify({ machines: results }, null, 2)}\n`);
  const ok = results.every((r) => r.ok);
  if (options.attach)
    return attach(
      fleet,
      results.filter((r) => r.ok).map((r) => r.machine),
      options,
    );
  return ok ? 0 : 1;
}

/** nohead's flags that may follow the machine name (`run web -n`), before the QEMU arguments. */
const RUN_FLAGS = {
  "-w": "window",
  "--window": "window",
  "-n": "noui",
  "--noui": "noui",
  "--fresh": "fresh",
  "--attach": "attach",
  "--json": "json",
};

export async function run(args: unknown[], globals: GlobalOptions): Promise<number> {
  const [name, passed, options] = args as [string, string[], RunOptions];
  const qemuArgs = takeOwnOptions(
    passed,
    RUN_FLAGS,
    { "--restart": "restart" },
    options as Record<string, unknown>,
  );
  return startAndReport(globals, [name], options, qemuArgs);
}
