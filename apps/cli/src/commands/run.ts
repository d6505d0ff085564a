/**
 * `nohead run <vm> [qemu args…]` and `nohead runall`: start VMs (dependencies first) and return
 * when they are ready, with a live line per VM; `--attach` stays in the foreground hosting the
 * VMs' watchers (health checks, restart policy), streams the consoles, and stops everything on
 * Ctrl-C.
 */

import { readFileSync } from "node:fs";
import type { HostStartOptions } from "@nohead/hosts";
import type { ManifestMachine, RestartPolicy } from "@nohead/schema";
import { usageError } from "@nohead/schema";
import { ensureSshIdentity, type Fleet, type StartResult } from "@nohead/supervisor";
import pc from "picocolors";
import { takeOwnOptions } from "../argv.ts";
import { attach } from "../attach.ts";
import { openFleet } from "../open-fleet.ts";
import { recordPlacement } from "../placement.ts";
import type { GlobalOptions } from "../program.ts";
import { StartView } from "../start-view.ts";

export interface RunOptions {
  host?: string;
  window?: boolean;
  noui?: boolean;
  fresh?: boolean;
  attach?: boolean;
  restart?: RestartPolicy;
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
  // Attached, this process hosts the VMs' watchers for as long as it runs.
  const fleet = openFleet(globals, { supervise: options.attach ?? false });
  const wanted = names ?? fleet.manifest.machines.map((m) => m.name);
  if (names) for (const name of names) fleet.machine(name);
  const view = options.json ? undefined : new StartView(wanted);
  const machines = fleet.withDependencies(wanted).map((n) => fleet.machine(n));
  const elsewhere = options.host !== undefined || machines.some((m) => m.host !== null && m.host !== "local");
  const start = {
    display: displayOf(options),
    fresh: options.fresh ?? false,
    onProgress: view ? view.update.bind(view) : () => undefined,
  };
  const results: StartResult[] = elsewhere
    ? await startElsewhere(fleet, machines, options.host, { ...start, qemuArgs: extraArgs })
    : await fleet.start(names, {
        ...start,
        extraArgs,
        ...(options.attach && options.restart ? { restart: options.restart } : {}),
      });
  view?.finish(results);
  if (options.json) process.stdout.write(`${JSON.stringify({ machines: results }, null, 2)}\n`);
  const ok = results.every((r) => r.ok);
  const started = results.filter((r) => r.ok).map((r) => r.machine);
  // Attaching to nothing would wait forever: with no VM started, report the failure instead.
  if (options.attach && started.length > 0) return attach(fleet, started);
  return ok ? 0 : 1;
}

/** nohead's flags that may follow the machine name (`run web -n`), before the QEMU arguments. */
const RUN_FLAGS: Record<string, string> = {
  "-w": "window",
  "--window": "window",
  "-n": "noui",
  "--noui": "noui",
  "--fresh": "fresh",
  "--attach": "attach",
  "--json": "json",
};

/**
 * Starts machines on the hosts they are placed on (`host` option, or `--host` for all), copying
 * closures as each host declares, and records where each one runs. The guests authorize the
 * project's SSH key wherever they run, so `nohead ssh` logs in there too.
 */
async function startElsewhere(
  fleet: Fleet,
  machines: ManifestMachine[],
  override: string | undefined,
  options: HostStartOptions,
): Promise<StartResult[]> {
  const { openHosts, startOnHosts } = await import("@nohead/hosts");
  const projectKey = readFileSync(ensureSshIdentity(fleet.project).publicKey, "utf8").trim();
  const reports = await startOnHosts(machines, openHosts(fleet), {
    ...options,
    authorizedKeys: [projectKey],
    override,
  });
  const results: StartResult[] = [];
  for (const report of reports) {
    recordPlacement(
      fleet,
      report.host,
      report.results.map((r) => r.machine),
    );
    if (report.error) process.stderr.write(`${pc.red("✖")} host ${pc.bold(report.host)}: ${report.error}\n`);
    results.push(...report.results);
  }
  return results;
}

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
