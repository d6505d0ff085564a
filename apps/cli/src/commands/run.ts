/**
 * `nohead run <vm> [qemu args…]` and `nohead runall`: start VMs (dependencies first) and return
 * when they are ready, with a live line per VM; `--attach` stays in the foreground, streams the
 * consoles, restarts crashed VMs by policy, and stops everything on Ctrl-C.
 */

import { readFileSync, writeSync } from "node:fs";
import type { HostStartOptions } from "@nohead/hosts";
import type { ManifestMachine } from "@nohead/schema";
import { usageError } from "@nohead/schema";
import { ensureSshIdentity, type Fleet, type StartResult } from "@nohead/supervisor";
import pc from "picocolors";
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
  keepFailed?: boolean;
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
  if (names) for (const name of names) fleet.machine(name);
  const machines = fleet.machinesToStart(names).map((n) => fleet.machine(n));
  const starting = new Set(machines.map((m) => m.name));
  const waitsFor = Object.fromEntries(
    machines.map((m) => [m.name, m.dependsOn.filter((d) => starting.has(d))]),
  );
  const view = options.json ? undefined : new StartView([...starting], { waitsFor });
  const elsewhere = options.host !== undefined || machines.some((m) => m.host !== null && m.host !== "local");
  const start = {
    display: displayOf(options),
    fresh: options.fresh ?? false,
    keepFailed: options.keepFailed ?? false,
    onProgress: view ? view.update.bind(view) : () => undefined,
  };
  const interrupted = () => {
    view?.stop();
    writeSync(2, `\n${interruptedMessage(fleet.running(), globals.result)}\n`);
    process.exit(130);
  };
  process.once("SIGINT", interrupted);
  const results: StartResult[] = elsewhere
    ? await startElsewhere(fleet, machines, options.host, { ...start, qemuArgs: extraArgs })
    : await fleet.start(names, { ...start, extraArgs });
  process.off("SIGINT", interrupted);
  view?.finish(results);
  if (options.json) process.stdout.write(`${JSON.stringify({ machines: results }, null, 2)}\n`);
  const ok = results.every((r) => r.ok);
  const started = results.filter((r) => r.ok).map((r) => r.machine);
  // Attaching to nothing would wait forever: with no VM started, report the failure instead.
  if (options.attach && started.length > 0) return attach(fleet, started, options);
  return ok ? 0 : 1;
}

/**
 * What Ctrl-C during a start leaves behind: the VMs are their own processes and keep running
 * (or booting), so say which and how to stop them.
 */
export function interruptedMessage(running: string[], result: string): string {
  const stop = `nohead stopall${result === "result" ? "" : ` -r ${result}`}`;
  return running.length === 0
    ? "interrupted: no VM of this project is running"
    : `interrupted: ${running.join(", ")} ${running.length === 1 ? "is" : "are"} left running (VMs run on their own); stop them with \`${stop}\``;
}

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
  const [name, qemuArgs, options] = args as [string, string[], RunOptions];
  return startAndReport(globals, [name], options, qemuArgs);
}
