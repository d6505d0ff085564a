/**
 * One configuration's build: evaluate its machines, build every machine's runner in one
 * `nix build` (Nix parallelises), report progress per machine from Nix's internal-json log, and
 * link the result (only the machines that built, with --keep-going). Runs inside a build worker.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { ConfigSource } from "./config-source.ts";
import { installable } from "./expressions.ts";
import { runNix } from "./nix-command.ts";
import { isDownloadFailure, messageNaming, NixError } from "./nix-error.ts";
import { NixBuildProgress } from "./nix-log.ts";
import { toNix } from "./to-nix.ts";

/** Build-job keys of disk images ("image:<type>"); machine names cannot hold a colon. */
export const IMAGE_PREFIX = "image:";

/**
 * The `--apply` function mapping a result's `nohead` attribute to { key = drvPath or null }:
 * null for a machine whose evaluation throws, so one broken machine does not hide the others.
 */
function drvPathsApply(images: boolean): string {
  return `n: let
    safe = builtins.mapAttrs (name: d: let r = builtins.tryEval d; in if r.success then r.value else null);
    imgs = if ${images} then safe (n.imageDrvPaths or { }) else { };
  in safe n.drvPaths // builtins.listToAttrs (map (k: { name = "${IMAGE_PREFIX}\${k}"; value = imgs.\${k}; }) (builtins.attrNames imgs))`;
}

export interface BuildJobOptions {
  source: ConfigSource;
  /** Where to create the result link (absolute). */
  resultLink: string;
  images: boolean;
  showTrace: boolean;
  keepGoing: boolean;
  jobs: number | undefined;
  /** The nixpkgs directory for -f sources (realiseNixpkgs); unused by flake sources. */
  nixpkgsPath: string | undefined;
  cwd: string;
}

/** What a build job reports while it runs; `machine` is null for work that is not one machine's. */
export type BuildEvent =
  | { type: "evaluating" }
  | { type: "planned"; machines: string[] }
  | {
      type: "machine-state";
      machine: string;
      state: "queued" | "building" | "built" | "failed";
      detail: string;
    }
  | { type: "activity"; text: string }
  | { type: "progress"; done: number; expected: number; running: number; failed: number }
  | { type: "linking"; machines: string[] };

/**
 * Where a build stopped: fetching the flake's inputs (Nix could not download them), evaluating
 * the configuration (a config error), or building it.
 */
export type BuildStage = "fetch" | "evaluation" | "build";

export interface MachineFailure {
  machine: string;
  /** "evaluation" when the machine's configuration did not evaluate (a config error). */
  stage: BuildStage;
  /** Why it did not build. */
  error: string;
  logTail: string[];
}

/** The outcome of one configuration's build. */
export interface BuildOutcome {
  source: string;
  /** The result link, or null when nothing was linked. */
  resultLink: string | null;
  built: string[];
  failed: MachineFailure[];
  /** An error that stopped the whole configuration, if any. */
  error: string | null;
  /** Where `error` happened: "evaluation" is a config error (exit 3), null without error. */
  errorStage: BuildStage | null;
  durationMs: number;
}

/**
 * Builds one configuration and reports progress through `onEvent`.
 * Never throws for build failures: they are in the outcome.
 */
export async function runBuildJob(
  options: BuildJobOptions,
  onEvent: (event: BuildEvent) => void,
): Promise<BuildOutcome> {
  const started = performance.now();
  const { source, showTrace, keepGoing, jobs, cwd } = options;
  const nixOptions = { images: options.images, nixpkgsPath: options.nixpkgsPath };
  const trace = showTrace ? ["--show-trace"] : [];
  const outcome = (partial: Partial<BuildOutcome>): BuildOutcome => ({
    source: source.label,
    resultLink: null,
    built: [],
    failed: [],
    error: null,
    errorStage: null,
    durationMs: performance.now() - started,
    ...partial,
  });

  // Report each machine's state once per change, however many log lines repeat it.
  const lastState = new Map<string, string>();
  const report = onEvent;
  onEvent = (event) => {
    if (event.type === "machine-state") {
      if (lastState.get(event.machine) === event.state) return;
      lastState.set(event.machine, event.state);
    }
    report(event);
  };
  onEvent({ type: "evaluating" });
  let drvPaths: Record<string, string | null>;
  try {
    // One evaluation for every machine; a machine whose evaluation throws gets null and is
    // evaluated again alone below, to report its own message without hiding the others.
    const { stdout } = await runNix(
      "nix",
      [
        "eval",
        "--json",
        ...trace,
        ...installable(source, [["nohead"]], nixOptions),
        "--apply",
        drvPathsApply(options.images),
      ],
      { cwd },
    );
    drvPaths = JSON.parse(stdout) as Record<string, string | null>;
  } catch (error) {
    return outcome({
      error: messageNaming(error, source.label),
      errorStage: error instanceof NixError && isDownloadFailure(error.message) ? "fetch" : "evaluation",
    });
  }

  const machines = Object.keys(drvPaths);
  onEvent({ type: "planned", machines });
  const failed: MachineFailure[] = [];
  for (const [machine, drv] of Object.entries(drvPaths)) {
    if (drv !== null) continue;
    failed.push({
      machine,
      stage: "evaluation",
      error: await evaluationError(options, machine),
      logTail: [],
    });
    onEvent({ type: "machine-state", machine, state: "failed", detail: "evaluation failed" });
  }
  const toBuild = Object.entries(drvPaths).filter((e): e is [string, string] => e[1] !== null);
  // Instances of a machine type share one runner derivation: its progress is each of theirs.
  const machinesOfDrv = new Map<string, string[]>();
  for (const [machine, drv] of toBuild) machinesOfDrv.set(drv, [...(machinesOfDrv.get(drv) ?? []), machine]);
  for (const [machine] of toBuild) onEvent({ type: "machine-state", machine, state: "queued", detail: "" });

  const progress = new NixBuildProgress({ tailLines: 30 });
  let buildError: NixError | null = null;
  if (toBuild.length > 0 && (keepGoing || failed.length === 0)) {
    try {
      await runNix(
        "nix",
        [
          "build",
          "--no-link",
          // -L must come first: in Nix 2.8 it resets --log-format to its own.
          "-L",
          "--log-format",
          "internal-json",
          ...trace,
          ...(keepGoing ? ["--keep-going"] : []),
          ...(jobs ? ["--max-jobs", String(jobs)] : []),
          ...machinesOfDrv.keys(),
        ],
        {
          cwd,
          onStderrLine: (line) => {
            for (const event of progress.feed(line)) {
              const machines = ("drvPath" in event ? machinesOfDrv.get(event.drvPath) : undefined) ?? [];
              if (event.type === "build-started") {
                for (const machine of machines)
                  onEvent({ type: "machine-state", machine, state: "building", detail: event.name });
                if (machines.length === 0) onEvent({ type: "activity", text: `building ${event.name}` });
              } else if (event.type === "build-finished") {
                for (const machine of machines)
                  onEvent({ type: "machine-state", machine, state: "built", detail: "" });
              } else if (event.type === "progress") {
                onEvent({ ...event });
              }
            }
          },
        },
      );
    } catch (error) {
      if (!(error instanceof NixError)) throw error;
      buildError = error;
    }
  }

  // A machine built when its runner's outputs exist; this is true however the build ended.
  const built: string[] = [];
  for (const [machine, drv] of toBuild) {
    if (await outputsExist(drv, cwd)) {
      built.push(machine);
      onEvent({ type: "machine-state", machine, state: "built", detail: "" });
    } else {
      const failure = progress.snapshot().failed.find((f) => f.drvPath === drv);
      const message =
        failure?.message ??
        (buildError
          ? firstLine(buildError.message)
          : "not built (an earlier failure stopped the build; use --keep-going)");
      failed.push({
        machine,
        stage: "build",
        error: message,
        logTail: failure?.logTail ?? progress.logTail(drv),
      });
      onEvent({ type: "machine-state", machine, state: "failed", detail: firstLine(message) });
    }
  }

  if (built.length === 0 || (failed.length > 0 && !keepGoing)) return outcome({ built, failed });
  onEvent({ type: "linking", machines: built });
  const link = resolve(cwd, options.resultLink);
  try {
    if (failed.length === 0) {
      await runNix("nix", ["build", "--out-link", link, ...trace, ...installable(source, [[]], nixOptions)], {
        cwd,
      });
    } else {
      const { stdout } = await runNix(
        "nix",
        [
          "eval",
          "--raw",
          ...installable(source, [["nohead", "subset"]], nixOptions),
          "--apply",
          `subset: (subset ${toNix(
            built.filter((m) => !m.startsWith(IMAGE_PREFIX)),
            { compact: true },
          )}).drvPath`,
        ],
        { cwd },
      );
      await runNix("nix", ["build", "--out-link", link, stdout.trim()], { cwd });
    }
  } catch (error) {
    return outcome({
      built,
      failed,
      error: error instanceof NixError ? error.message : String(error),
      errorStage: "build",
    });
  }
  return outcome({ resultLink: existsSync(link) ? link : null, built, failed });
}

async function evaluationError(options: BuildJobOptions, machine: string): Promise<string> {
  try {
    await runNix(
      "nix",
      [
        "eval",
        "--raw",
        ...installable(options.source, [attrPathOf(machine)], {
          images: options.images,
          nixpkgsPath: options.nixpkgsPath,
        }),
      ],
      { cwd: options.cwd },
    );
    return "evaluation failed";
  } catch (error) {
    return error instanceof NixError ? error.message : String(error);
  }
}

function attrPathOf(key: string): string[] {
  return key.startsWith(IMAGE_PREFIX)
    ? ["nohead", "imageDrvPaths", key.slice(IMAGE_PREFIX.length)]
    : ["nohead", "drvPaths", key];
}

async function outputsExist(drv: string, cwd: string): Promise<boolean> {
  const { stdout } = await runNix("nix-store", ["--query", "--outputs", drv], { cwd });
  const outputs = stdout.split("\n").filter(Boolean);
  return outputs.length > 0 && outputs.every((o) => existsSync(o));
}

function firstLine(text: string): string {
  return text.split("\n")[0] ?? text;
}
