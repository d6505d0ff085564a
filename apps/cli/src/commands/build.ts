/**
 * `nohead build`: builds one or more configurations in parallel (a worker thread each), with
 * a live line per machine, and links each result. With several configurations, results are
 * linked as <result>, <result>-2, … in the order given.
 */
import type { BuildEvent, BuildOutcome } from "@nohead/nixgen";
import { chooseNixpkgs, realiseNixpkgs, resolveConfigSources } from "@nohead/nixgen";
import { EXIT_CODES, usageError } from "@nohead/schema";
import { Listr } from "listr2";
import pc from "picocolors";
import { buildInWorker } from "../build/build-in-worker.ts";
import type { GlobalOptions } from "../program.ts";

interface BuildOptions {
  config: string[];
  file: string[];
  customArgs?: string;
  images?: boolean;
  showTrace?: boolean;
  keepGoing?: boolean;
  jobs?: number;
  json?: boolean;
  nixpkgs?: string;
}

export async function run([options]: unknown[], globals: GlobalOptions): Promise<number> {
  const {
    config,
    file,
    customArgs,
    images = false,
    showTrace = false,
    keepGoing = false,
    jobs,
    json = false,
    nixpkgs,
  } = options as BuildOptions;
  const cwd = process.cwd();
  const sources = resolveConfigSources({ flakes: config, files: file, customArgs, cwd });
  if (images && sources.some((s) => s.kind === "flake")) {
    throw usageError(
      "--images applies to -f configs only",
      "with -c, disk images are built when the flake's buildConfig sets makeDiskImages = true (as in no-headache)",
    );
  }
  if (nixpkgs !== undefined && sources.every((s) => s.kind === "flake")) {
    throw usageError(
      "--nixpkgs applies to -f configs only",
      "a flake's configuration builds with the nixpkgs of its own inputs (`--override-input nixpkgs …` with nix)",
    );
  }
  // -f configs need a nixpkgs; chosen and fetched once, before any build starts.
  const nixpkgsPath = sources.some((s) => s.kind === "file")
    ? await realiseNixpkgs(chooseNixpkgs({ flag: nixpkgs, cwd }))
    : undefined;
  const outcomes: BuildOutcome[] = [];
  const live = Boolean(process.stdout.isTTY);
  const jobsOf = sources.map((source, i) => ({
    source,
    resultLink: i === 0 ? globals.result : `${globals.result}-${i + 1}`,
  }));

  const tasks = new Listr(
    jobsOf.map(({ source, resultLink }) => ({
      title: source.label,
      task: async (_ctx, task) => {
        const view = new MachineLines();
        const outcome = await buildInWorker(
          {
            source,
            resultLink,
            images,
            showTrace,
            keepGoing,
            jobs,
            cwd,
            nixpkgsPath,
          },
          (event) => {
            view.apply(event);
            task.title = `${source.label} ${pc.dim(view.summary())}`;
            // A terminal gets the live block; a pipe or log gets one line per state change, which
            // names its configuration when several build at once.
            if (live) task.output = view.render();
            else if (event.type === "machine-state" && event.state !== "queued")
              task.output = `${sources.length > 1 ? `${source.label}: ` : ""}${view.line(event.machine)}`;
          },
        );
        outcomes.push(outcome);
        task.title = `${source.label} ${pc.dim(describe(outcome))}`;
        if (outcome.error || outcome.failed.length > 0) throw new Error(failureText(outcome));
      },
      rendererOptions: { persistentOutput: false, outputBar: Number.POSITIVE_INFINITY },
    })),
    {
      concurrent: true,
      exitOnError: false,
      renderer: json ? "silent" : "default",
      fallbackRenderer: "simple",
      rendererOptions: { collapseErrors: false },
    },
  );
  await tasks.run().catch(() => undefined);

  if (json) {
    process.stdout.write(`${JSON.stringify({ builds: outcomes }, null, 2)}\n`);
  } else {
    for (const source of sources) {
      const o = outcomes.find((o) => o.source === source.label);
      if (o) process.stdout.write(`${resultLine(o)}\n`);
    }
  }
  return exitCodeOf(outcomes, sources.length);
}

/**
 * 0 when every configuration built; 3 when one did not evaluate (a config error, as in plan); else
 * 1 (a build failed, or Nix could not download a flake's inputs).
 */
function exitCodeOf(outcomes: BuildOutcome[], expected: number): number {
  const configError = outcomes.some(
    (o) => o.errorStage === "evaluation" || o.failed.some((f) => f.stage === "evaluation"),
  );
  if (configError) return EXIT_CODES.config;
  const ok = outcomes.every((o) => !o.error && o.failed.length === 0) && outcomes.length === expected;
  return ok ? 0 : EXIT_CODES.failed;
}

/** The live per-machine lines of one configuration's build. */
class MachineLines {
  private readonly states = new Map<string, { state: string; detail: string; since: number }>();
  private progress = "";
  private phase = "evaluating";

  apply(event: BuildEvent): void {
    if (event.type === "machine-state") {
      this.states.set(event.machine, { state: event.state, detail: event.detail, since: performance.now() });
    } else if (event.type === "progress") {
      this.progress = `${event.done}/${event.expected} derivations`;
    } else if (event.type === "evaluating") {
      this.phase = "evaluating";
    } else if (event.type === "planned") {
      this.phase = "building";
    } else if (event.type === "linking") {
      this.phase = "linking";
    }
  }

  summary(): string {
    const values = [...this.states.values()];
    const built = values.filter((s) => s.state === "built").length;
    return `${this.phase}: ${built}/${values.length} built${this.progress ? `, ${this.progress}` : ""}`;
  }

  render(): string {
    return [...this.states.keys()].map((name) => this.line(name)).join("\n");
  }

  line(name: string): string {
    const s = this.states.get(name);
    if (!s) return name;
    const secs = ((performance.now() - s.since) / 1000).toFixed(0);
    const colour = s.state === "failed" ? pc.red : s.state === "built" ? pc.green : pc.yellow;
    return `${name.padEnd(20)} ${colour(s.state.padEnd(9))} ${s.state === "building" ? `${secs}s ` : ""}${s.detail}`.trimEnd();
  }
}

function describe(o: BuildOutcome): string {
  const secs = (o.durationMs / 1000).toFixed(1);
  if (o.error) return `failed after ${secs}s`;
  return `${o.built.length} built, ${o.failed.length} failed in ${secs}s${o.resultLink ? ` → ${o.resultLink}` : ""}`;
}

/**
 * The last word on one configuration, agreeing with its task line: ✔ only when every machine
 * built; a --keep-going link of some machines is still a ✖ that says which failed.
 */
export function resultLine(o: BuildOutcome): string {
  const failed = o.failed.map((f) => f.machine);
  if (!o.error && failed.length === 0 && o.resultLink)
    return `${pc.green("✔")} ${o.source}: ${o.built.length} machine(s) → ${o.resultLink}`;
  if (o.resultLink)
    return `${pc.red("✖")} ${o.source}: ${failed.length} failed (${failed.join(", ")}); the ${o.built.length} built → ${o.resultLink}`;
  return `${pc.red("✖")} ${o.source}: failed, nothing linked${failed.length > 0 ? ` (${failed.join(", ")} failed)` : ""}`;
}

function failureText(o: BuildOutcome): string {
  if (o.errorStage === "fetch")
    return `${o.source}: ${o.error}\n(Nix could not download this flake's inputs: connect to the network once; later builds use the copies in the Nix store)`;
  if (o.error) return `${o.source}: ${o.error}`;
  return o.failed
    .map((f) => {
      const tail = f.logTail.length > 0 ? `\n${f.logTail.map((l) => `    ${pc.dim(l)}`).join("\n")}` : "";
      return `${f.machine}: ${f.error}${tail}`;
    })
    .join("\n");
}
