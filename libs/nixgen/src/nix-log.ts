/**
 * Reads what `nix build --log-format internal-json` writes on stderr and turns it into build
 * progress: which derivations build, finish and fail (and why), their last log lines, the overall
 * counts, and Nix's messages without colour codes.
 *
 * Nix 2.8 facts the reducer relies on (seen in captured logs, see testdata/):
 * - a Build activity (type 105) is not stopped when its builder exits: its goal keeps it until no
 *   other goal needs it, and top-level ones until Nix exits. So "finished" is inferred from the
 *   Builds (104) counters — no build running and no unexplained failure means every started build
 *   finished — and otherwise from the activity's stop, checked against the `done` counter.
 * - failures arrive as `msg` lines at level 0 ("builder for '…drv' failed with exit code 3",
 *   "1 dependencies of derivation '…drv' failed to build"), after the counters moved.
 * - `-L` must come before `--log-format`: in Nix 2.8 `-L` selects the bar-with-logs format itself.
 */
import { basename } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { z } from "zod";

/** Nix's activity types (`ActivityType` in src/libutil/logging.hh). */
export const NixActivityType = {
  Unknown: 0,
  CopyPath: 100,
  FileTransfer: 101,
  Realise: 102,
  CopyPaths: 103,
  Builds: 104,
  Build: 105,
  OptimiseStore: 106,
  VerifyPaths: 107,
  Substitute: 108,
  QueryPathInfo: 109,
  PostBuildHook: 110,
  BuildWaiting: 111,
} as const;

/** Nix's result types (`ResultType` in src/libutil/logging.hh). */
export const NixResultType = {
  FileLinked: 100,
  BuildLogLine: 101,
  UntrustedPath: 102,
  CorruptedPath: 103,
  SetPhase: 104,
  Progress: 105,
  SetExpected: 106,
  PostBuildLogLine: 107,
} as const;

/** Nix's verbosity levels, as `msg` and `start` lines carry them. */
export const NIX_LEVEL_NAMES = [
  "error",
  "warn",
  "notice",
  "info",
  "talkative",
  "chatty",
  "debug",
  "vomit",
] as const;

const fieldsSchema = z.array(z.union([z.string(), z.number()]));

/** One `@nix {…}` line, without the `@nix ` prefix. Unknown keys are kept for newer Nix versions. */
export const nixLogLineSchema = z.discriminatedUnion("action", [
  z.looseObject({
    action: z.literal("start"),
    id: z.number(),
    level: z.number(),
    type: z.number(),
    text: z.string(),
    fields: fieldsSchema.optional(),
    parent: z.number().optional(),
  }),
  z.looseObject({ action: z.literal("stop"), id: z.number() }),
  z.looseObject({ action: z.literal("result"), id: z.number(), type: z.number(), fields: fieldsSchema }),
  z.looseObject({
    action: z.literal("msg"),
    level: z.number(),
    msg: z.string(),
    raw_msg: z.string().optional(),
  }),
]);
export type NixLogLine = z.infer<typeof nixLogLineSchema>;

const drvRef = z.object({
  /** The store path of the derivation, `/nix/store/<hash>-<name>.drv`. */
  drvPath: z.string(),
  /** The derivation's name: the file name without hash and `.drv`. */
  name: z.string(),
});

/** Build counts of the Builds activity, as Nix's progress bar shows them. */
export const nixBuildCountsSchema = z.object({
  done: z.number(),
  expected: z.number(),
  running: z.number(),
  failed: z.number(),
});
export type NixBuildCounts = z.infer<typeof nixBuildCountsSchema>;

/**
 * Why a derivation failed: its builder exited non-zero or was killed (`builder-failed`), a
 * dependency failed so it never started (`dependencies-failed`), a fixed-output hash did not match
 * (`hash-mismatch`), Nix stopped it without it finishing (`unfinished`, e.g. an interrupt), or an
 * error message named it (`other`).
 */
export const nixFailureReasonSchema = z.enum([
  "builder-failed",
  "dependencies-failed",
  "hash-mismatch",
  "unfinished",
  "other",
]);
export type NixFailureReason = z.infer<typeof nixFailureReasonSchema>;

/** A failed derivation: why, with what exit code or signal, Nix's message and the last log lines. */
export const nixFailedBuildSchema = drvRef.extend({
  reason: nixFailureReasonSchema,
  /** The builder's exit code, when it exited. */
  exitCode: z.number().nullable(),
  /** The signal that killed the builder, when one did. */
  signal: z.number().nullable(),
  /** How many dependencies failed, for `dependencies-failed`. */
  failedDependencies: z.number().nullable(),
  /** Nix's message, without colour codes and without the `error: ` prefix. */
  message: z.string(),
  /** The last log lines of the build (empty when it never started). */
  logTail: z.array(z.string()),
});
export type NixFailedBuild = z.infer<typeof nixFailedBuildSchema>;

/** What {@link NixBuildProgress.feed} reports, one event per fact learned. */
export const nixProgressEventSchema = z.discriminatedUnion("type", [
  drvRef.extend({
    type: z.literal("build-started"),
    /** The remote builder's name, or null for a local build. */
    machine: z.string().nullable(),
  }),
  drvRef.extend({ type: z.literal("build-finished") }),
  nixFailedBuildSchema.extend({ type: z.literal("build-failed") }),
  drvRef.extend({ type: z.literal("log-line"), line: z.string() }),
  drvRef.extend({ type: z.literal("phase"), phase: z.string() }),
  nixBuildCountsSchema.extend({ type: z.literal("progress") }),
  z.object({
    type: z.literal("message"),
    /** Nix verbosity (0 error, 1 warn, … 7 vomit); null when a plain line gives no hint. */
    level: z.number().nullable(),
    /** The message without colour codes. */
    text: z.string(),
    /** `nix`: a `@nix` msg line; `plain`: a line without the prefix; `malformed`: a `@nix` line that is not valid. */
    source: z.enum(["nix", "plain", "malformed"]),
  }),
]);
export type NixProgressEvent = z.infer<typeof nixProgressEventSchema>;

/** A snapshot of everything {@link NixBuildProgress} knows. */
export interface NixBuildSnapshot {
  /** Started and not known to be finished or failed, in start order. */
  building: { drvPath: string; name: string; machine: string | null }[];
  /** Finished successfully, in the order Nix reported it. */
  finished: { drvPath: string; name: string }[];
  failed: NixFailedBuild[];
  /** The last Builds counters Nix sent (all 0 before the first). */
  counts: NixBuildCounts;
  /** Error messages (level 0 or `error:` lines), colour codes stripped, each once. */
  errors: string[];
}

/** Options of {@link NixBuildProgress}. */
export interface NixBuildProgressOptions {
  /** Log lines kept per derivation (the tail a failure reports). Default 20. */
  tailLines?: number;
}

interface BuildRecord {
  drvPath: string;
  name: string;
  machine: string | null;
  status: "building" | "finished" | "failed";
  tail: string[];
}

const BUILDER_FAILED = /builder for '([^']+\.drv)' failed (?:with exit code (\d+)|due to signal (\d+)|.*)/;
const DEPENDENCIES_FAILED = /(\d+) dependenc(?:y|ies) of derivation '([^']+\.drv)' failed to build/;
const HASH_MISMATCH = /hash mismatch in fixed-output derivation '([^']+\.drv)'/;
// Nix ≥ 2.19 words failures as "Cannot build '….drv'.\n Reason: builder failed with exit code 3."
const CANNOT_BUILD = /Cannot build '([^']+\.drv)'\.\s+Reason: (.*)/;
const DRV_IN_TEXT = /\/[^\s'"]+\.drv/g;

/**
 * The derivation name in a `.drv` store path: file name minus the store hash and `.drv`.
 *
 * @example
 * drvName("/nix/store/ysk4fvkcwz43asa77dynnrxadw28k091-beta-1.0.drv") // => "beta-1.0"
 */
export function drvName(drvPath: string): string {
  return basename(drvPath)
    .replace(/^[0-9a-z]{32}-/, "")
    .replace(/\.drv$/, "");
}

/**
 * Turns the stderr lines of `nix build -L --log-format internal-json` into progress events and a
 * state that can be asked at any time. Pure: feed it lines, it never throws on input.
 *
 * @example
 * const progress = new NixBuildProgress();
 * for (const line of stderr.split("\n")) {
 *   for (const event of progress.feed(line)) {
 *     if (event.type === "build-failed") console.log(`${event.name}: ${event.message}`);
 *   }
 * }
 * progress.snapshot().failed; // => [{ drvPath, name, reason: "builder-failed", exitCode: 3, … }]
 */
export class NixBuildProgress {
  private readonly tailLines: number;
  /** Activity id → what it is about; only the ones the reducer needs. */
  private readonly activities = new Map<number, { type: number; drvPath: string | null }>();
  private readonly builds = new Map<string, BuildRecord>();
  private readonly finishedOrder: string[] = [];
  private readonly failures = new Map<string, NixFailedBuild>();
  private readonly errorTexts = new Set<string>();
  private counts: NixBuildCounts = { done: 0, expected: 0, running: 0, failed: 0 };
  private sawCounts = false;
  private lastProgressKey = "";

  constructor(options: NixBuildProgressOptions = {}) {
    const { tailLines = 20 } = options;
    if (!Number.isInteger(tailLines) || tailLines < 0) {
      throw new TypeError(
        `Expected the \`tailLines\` option to be a non-negative integer, got \`${tailLines}\``,
      );
    }
    this.tailLines = tailLines;
  }

  /** Takes one stderr line (a trailing newline is ignored) and returns what it taught. */
  feed(line: string): NixProgressEvent[] {
    const text = line.replace(/\r?\n?$/, "");
    if (!text.startsWith("@nix ")) return text.trim() === "" ? [] : this.plain(text);
    let json: unknown;
    try {
      json = JSON.parse(text.slice(5));
    } catch {
      return [{ type: "message", level: null, text: stripVTControlCharacters(text), source: "malformed" }];
    }
    const parsed = nixLogLineSchema.safeParse(json);
    if (!parsed.success) {
      return [{ type: "message", level: null, text: stripVTControlCharacters(text), source: "malformed" }];
    }
    const entry = parsed.data;
    switch (entry.action) {
      case "start":
        return this.start(entry.id, entry.type, entry.text, entry.fields ?? []);
      case "stop":
        return this.stop(entry.id);
      case "result":
        return this.result(entry.id, entry.type, entry.fields);
      case "msg":
        return this.message(entry.level, stripVTControlCharacters(entry.msg), "nix");
    }
  }

  /** The last log lines of a derivation (empty when unknown). */
  logTail(drvPath: string): string[] {
    return [...(this.builds.get(drvPath)?.tail ?? [])];
  }

  /** Everything known so far, as plain data. */
  snapshot(): NixBuildSnapshot {
    const records = [...this.builds.values()];
    return {
      building: records
        .filter((r) => r.status === "building")
        .map(({ drvPath, name, machine }) => ({ drvPath, name, machine })),
      finished: this.finishedOrder.map((drvPath) => ({ drvPath, name: drvName(drvPath) })),
      failed: [...this.failures.values()].map((f) => ({ ...f, logTail: [...f.logTail] })),
      counts: { ...this.counts },
      errors: [...this.errorTexts],
    };
  }

  private start(id: number, type: number, text: string, fields: (string | number)[]): NixProgressEvent[] {
    if (type !== NixActivityType.Build) {
      this.activities.set(id, { type, drvPath: null });
      return [];
    }
    const drvPath = typeof fields[0] === "string" ? fields[0] : /'([^']+\.drv)'/.exec(text)?.[1];
    if (!drvPath) return [];
    const machine = typeof fields[1] === "string" && fields[1] !== "" ? fields[1] : null;
    this.activities.set(id, { type, drvPath });
    const record: BuildRecord = { drvPath, name: drvName(drvPath), machine, status: "building", tail: [] };
    this.builds.set(drvPath, record);
    // A retried derivation starts over.
    this.failures.delete(drvPath);
    return [{ type: "build-started", drvPath, name: record.name, machine }];
  }

  private stop(id: number): NixProgressEvent[] {
    const activity = this.activities.get(id);
    this.activities.delete(id);
    if (!activity?.drvPath) return [];
    const record = this.builds.get(activity.drvPath);
    if (record?.status !== "building") return [];
    // Only a stop that the `done` counter accounts for is a success; Nix also stops builds it abandons.
    if (!this.sawCounts || this.counts.done > this.finishedOrder.length) return [this.finish(record)];
    return [
      this.fail(record.drvPath, {
        reason: "unfinished",
        exitCode: null,
        signal: null,
        failedDependencies: null,
        message: `Nix stopped building '${record.drvPath}' before it finished`,
      }),
    ];
  }

  private result(id: number, type: number, fields: (string | number)[]): NixProgressEvent[] {
    const activity = this.activities.get(id);
    if (type === NixResultType.Progress && activity?.type === NixActivityType.Builds) {
      return this.progress(fields);
    }
    const drvPath = activity?.drvPath;
    const record = drvPath ? this.builds.get(drvPath) : undefined;
    if (!record) {
      if (type !== NixResultType.BuildLogLine && type !== NixResultType.PostBuildLogLine) return [];
      // Log lines of activities that are not builds (e.g. a post-build hook) are still worth showing.
      return typeof fields[0] === "string"
        ? [{ type: "message", level: 3, text: stripVTControlCharacters(fields[0]), source: "nix" }]
        : [];
    }
    const { name } = record;
    if (type === NixResultType.BuildLogLine || type === NixResultType.PostBuildLogLine) {
      const line = String(fields[0] ?? "");
      record.tail.push(line);
      if (record.tail.length > this.tailLines) record.tail.splice(0, record.tail.length - this.tailLines);
      return [{ type: "log-line", drvPath: record.drvPath, name, line }];
    }
    if (type === NixResultType.SetPhase && typeof fields[0] === "string") {
      return [{ type: "phase", drvPath: record.drvPath, name, phase: fields[0] }];
    }
    return [];
  }

  private progress(fields: (string | number)[]): NixProgressEvent[] {
    const [done = 0, expected = 0, running = 0, failed = 0] = fields.map((f) =>
      typeof f === "number" ? f : 0,
    );
    this.counts = { done, expected, running, failed };
    this.sawCounts = true;
    const events: NixProgressEvent[] = [];
    const startedFailures = [...this.failures.values()].filter(
      (f) => f.reason !== "dependencies-failed" && this.builds.has(f.drvPath),
    ).length;
    // Nothing runs and every failure is explained: whatever still looks busy has finished.
    if (running === 0 && failed <= startedFailures) {
      for (const record of this.builds.values()) {
        if (record.status === "building") events.push(this.finish(record));
      }
    }
    const key = `${done}/${expected}/${running}/${failed}`;
    if (key !== this.lastProgressKey) {
      this.lastProgressKey = key;
      events.push({ type: "progress", done, expected, running, failed });
    }
    return events;
  }

  private plain(text: string): NixProgressEvent[] {
    const clean = stripVTControlCharacters(text);
    const level = /^error:/.test(clean) ? 0 : /^warning:/.test(clean) ? 1 : null;
    return this.message(level, clean, "plain");
  }

  private message(level: number | null, text: string, source: "nix" | "plain"): NixProgressEvent[] {
    const events: NixProgressEvent[] = [{ type: "message", level, text, source }];
    if (level !== 0) return events;
    this.errorTexts.add(text);
    const failure = classifyError(text.replace(/^error:\s*/, ""));
    const known = failure ? undefined : this.mentionedBuild(text);
    if (failure) {
      const previous = this.failures.get(failure.drvPath);
      // Nix repeats the first failure when it exits; a repeat carries nothing new.
      if (previous?.reason !== failure.details.reason)
        events.push(this.fail(failure.drvPath, failure.details));
    } else if (known) {
      events.push(
        this.fail(known, {
          reason: "other",
          exitCode: null,
          signal: null,
          failedDependencies: null,
          message: text.replace(/^error:\s*/, ""),
        }),
      );
    }
    return events;
  }

  /** A derivation that is building and that an otherwise unrecognised error names. */
  private mentionedBuild(text: string): string | undefined {
    return text.match(DRV_IN_TEXT)?.find((path) => this.builds.get(path)?.status === "building");
  }

  private finish(record: BuildRecord): NixProgressEvent {
    record.status = "finished";
    this.finishedOrder.push(record.drvPath);
    return { type: "build-finished", drvPath: record.drvPath, name: record.name };
  }

  private fail(drvPath: string, details: FailureDetails): NixProgressEvent {
    const record = this.builds.get(drvPath);
    if (record) {
      if (record.status === "finished") this.finishedOrder.splice(this.finishedOrder.indexOf(drvPath), 1);
      record.status = "failed";
    }
    const failure: NixFailedBuild = {
      drvPath,
      name: drvName(drvPath),
      ...details,
      logTail: [...(record?.tail ?? [])],
    };
    this.failures.set(drvPath, failure);
    return { type: "build-failed", ...failure, logTail: [...failure.logTail] };
  }
}

type FailureDetails = Omit<NixFailedBuild, "drvPath" | "name" | "logTail">;

/** Recognises Nix's failure messages (text without `error: `). */
function classifyError(message: string): { drvPath: string; details: FailureDetails } | undefined {
  const firstLine = message.split("\n")[0] ?? "";
  const builder = BUILDER_FAILED.exec(firstLine);
  if (builder?.[1]) {
    return {
      drvPath: builder[1],
      details: {
        reason: "builder-failed",
        exitCode: builder[2] ? Number(builder[2]) : null,
        signal: builder[3] ? Number(builder[3]) : null,
        failedDependencies: null,
        message,
      },
    };
  }
  const dependencies = DEPENDENCIES_FAILED.exec(firstLine);
  if (dependencies?.[2]) {
    return {
      drvPath: dependencies[2],
      details: {
        reason: "dependencies-failed",
        exitCode: null,
        signal: null,
        failedDependencies: Number(dependencies[1]),
        message,
      },
    };
  }
  const hash = HASH_MISMATCH.exec(firstLine);
  if (hash?.[1]) {
    return {
      drvPath: hash[1],
      details: { reason: "hash-mismatch", exitCode: null, signal: null, failedDependencies: null, message },
    };
  }
  const cannot = CANNOT_BUILD.exec(message);
  if (cannot?.[1]) {
    const why = cannot[2] ?? "";
    const exit = /exit code (\d+)/.exec(why);
    const signal = /signal (\d+)/.exec(why);
    const deps = /(\d+) dependenc(?:y|ies) failed/.exec(why);
    return {
      drvPath: cannot[1],
      details: {
        reason: deps ? "dependencies-failed" : /builder failed/.test(why) ? "builder-failed" : "other",
        exitCode: exit ? Number(exit[1]) : null,
        signal: signal ? Number(signal[1]) : null,
        failedDependencies: deps ? Number(deps[1]) : null,
        message,
      },
    };
  }
  return undefined;
}
