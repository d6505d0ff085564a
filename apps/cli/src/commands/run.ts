/**
 * `nohead run <vm> [qemu args…]` and `nohead runall`: start VMs (dependencies first) on their
 * hosts — this computer's supervisor or agents — and return when they are ready, with a live line
 * per VM; VMs that already run are left alone. Each VM's worker in its host's supervisor keeps
 * watching it (health checks, restart policy). `--attach` stays in the foreground, streams the
 * consoles and what the watchers see, and stops everything on Ctrl-C.
 */

import { readFileSync, writeSync } from "node:fs";
import { type HostStartOptions, LOCAL_HOST } from "@nohead/hosts";
import { displayEnvOf } from "@nohead/qemu/display-env";
import type { ManifestMachine, RestartPolicy } from "@nohead/schema";
import { usageError } from "@nohead/schema";
import { ensureSshIdentity, type Fleet, failedBeforeStart, type StartResult } from "@nohead/supervisor";
import pc from "picocolors";
import { attach } from "../attach.ts";
import { openFleet } from "../open-fleet.ts";
import { missingHostError, projectHosts, readPlacement, recordPlacement } from "../placement.ts";
import type { GlobalOptions } from "../program.ts";
import { StartView } from "../start-view.ts";

export interface RunOptions {
  host?: string;
  window?: boolean;
  noui?: boolean;
  fresh?: boolean;
  keepFailed?: boolean;
  recreate?: boolean;
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
  const fleet = openFleet(globals);
  if (names) for (const name of names) fleet.machine(name);
  const wanted = names ?? fleet.manifest.machines.map((m) => m.name);
  const recreate = options.recreate ?? false;
  const starting = new Set(fleet.machinesToStart(names, { recreate }));
  const waitsFor = Object.fromEntries(
    [...starting].map((n) => [n, fleet.machine(n).dependsOn.filter((d) => starting.has(d))]),
  );
  // Shown: what it starts, and the machines asked for that already run ("already running").
  const shown = fleet.withDependencies(wanted).filter((n) => starting.has(n) || wanted.includes(n));
  const view = options.json ? undefined : new StartView(shown, { waitsFor });
  const interrupted = () => {
    view?.stop();
    const running = fleet.running();
    const stillStarting = [...starting].filter((n) => !running.includes(n));
    writeSync(2, `\n${interruptedMessage(running, stillStarting, globals.result)}\n`);
    process.exit(130);
  };
  process.once("SIGINT", interrupted);
  const machines = fleet.withDependencies(wanted).map((n) => fleet.machine(n));
  const results = await startOnTheirHosts(fleet, machines, options.host, {
    display: displayOf(options),
    displayEnv: displayEnvOf(process.env),
    fresh: options.fresh ?? false,
    keepFailed: options.keepFailed ?? false,
    recreate,
    qemuArgs: extraArgs,
    onProgress: view ? view.update.bind(view) : () => undefined,
    ...(options.attach && options.restart ? { restart: options.restart } : {}),
  });
  process.off("SIGINT", interrupted);
  view?.finish(results);
  if (options.json) process.stdout.write(`${JSON.stringify({ machines: results }, null, 2)}\n`);
  const ok = results.every((r) => r.ok);
  const started = results.filter((r) => r.ok).map((r) => r.machine);
  // Attaching to nothing would wait forever: with no VM started, report the failure instead.
  if (options.attach && started.length > 0) return attach(fleet, started);
  return ok ? 0 : 1;
}

/**
 * What Ctrl-C during a start leaves behind: the VMs are their own processes and keep running, and
 * the project's supervisor finishes the starts it was given; say which and how to stop them.
 */
export function interruptedMessage(running: string[], starting: string[], result: string): string {
  const stop = `nohead stopall${result === "result" ? "" : ` -r ${result}`}`;
  const are = (names: string[]) => `${names.join(", ")} ${names.length === 1 ? "is" : "are"}`;
  const parts = [
    ...(running.length > 0 ? [`${are(running)} left running (VMs run on their own)`] : []),
    ...(starting.length > 0 ? [`${are(starting)} still starting in the project's supervisor`] : []),
  ];
  if (parts.length === 0) return "interrupted: no VM of this project is running";
  // A stop also ends the starts still in progress (the supervisor cancels them).
  return `interrupted: ${parts.join("; ")}; stop them with \`${stop}\``;
}

/**
 * Starts machines on their hosts — this computer's supervisor or agents — and records where each
 * one runs: `--host` for all of them, else where a machine was recorded (its disk is there), else
 * its `host` option, else this computer; closures travel as each host declares. The guests
 * authorize the project's SSH key wherever they run, so `nohead ssh` logs in there too.
 */
async function startOnTheirHosts(
  fleet: Fleet,
  machines: ManifestMachine[],
  override: string | undefined,
  options: HostStartOptions,
): Promise<StartResult[]> {
  const { startOnHosts } = await import("@nohead/hosts");
  const hosts = projectHosts(fleet);
  const recorded = readPlacement(fleet);
  for (const m of machines) {
    const host = recorded[m.name];
    if (override === undefined && host !== undefined && !hosts.declared.has(host))
      throw missingHostError(fleet, host);
  }
  const placed = machines.map((m) => ({ ...m, host: recorded[m.name] ?? m.host }));
  const projectKey = readFileSync(ensureSshIdentity(fleet.project).publicKey, "utf8").trim();
  const reports = await startOnHosts(placed, hosts, {
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
    results.push(...report.results);
    if (report.error === null) continue;
    process.stderr.write(`${pc.red("✖")} ${report.error}\n`);
    // The host failed as a whole: each of its machines failed with its error.
    for (const m of placed.filter((p) => (override ?? p.host ?? LOCAL_HOST) === report.host)) {
      results.push(failedBeforeStart(m.name, report.error));
    }
  }
  return results;
}

export async function run(args: unknown[], globals: GlobalOptions): Promise<number> {
  const [name, qemuArgs, options] = args as [string, string[], RunOptions];
  return startAndReport(globals, [name], options, qemuArgs);
}
