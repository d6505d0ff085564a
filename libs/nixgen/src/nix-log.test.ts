// The parser is fed real `nix build --log-format internal-json` output: a live build on this
// machine's Nix and a captured one (testdata/), plus hand-written lines for the faults.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { drvName, NixBuildProgress, type NixProgressEvent, nixProgressEventSchema } from "./nix-log.ts";

const workDir = mkdtempSync(join(tmpdir(), "nixgen-nix-log-"));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const FIXTURE_LOG = join(import.meta.dir, "testdata", "nix-2.8-keep-going.log");
const FIXTURE_DRVS = join(import.meta.dir, "testdata", "nix-2.8-keep-going.drvs.json");

// Five derivations: alpha and delta succeed, beta fails with exit 3 after 27 log lines, gamma needs
// alpha and beta (so it never starts), epsilon needs alpha. The nonce defeats Nix's cache.
const BUILD_NIX = `{ nonce }:
let
  mk = name: script: derivation {
    inherit name;
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" script ];
    NOHEAD_NONCE = nonce;
  };
  alpha = mk "alpha-1.0" "echo hi from alpha; /bin/sleep 0.2; echo > $out";
  beta = mk "beta" ''
    echo hi from beta
    i=0; while [ $i -lt 25 ]; do i=$((i+1)); echo "beta line $i"; done
    echo to stderr >&2
    /bin/sleep 0.2
    exit 3
  '';
  gamma = mk "gamma" "echo \${alpha} \${beta}; echo > $out";
  epsilon = mk "epsilon" "echo \${alpha}; echo > $out";
  delta = mk "delta" "echo d; echo > $out";
in {
  targets = [ gamma epsilon delta ];
  drvPaths = builtins.mapAttrs (_: d: d.drvPath) { inherit alpha beta gamma epsilon delta; };
}
`;

type DrvPaths = Record<"alpha" | "beta" | "gamma" | "epsilon" | "delta", string>;

async function run(argv: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  const proc = Bun.spawn(argv, { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { stdout, stderr, code };
}

/** Builds BUILD_NIX with a fresh nonce and returns the drv paths and Nix's stderr lines. */
async function liveBuild(jobs: number): Promise<{ drvs: DrvPaths; lines: string[]; code: number }> {
  const file = join(workDir, `build-${jobs}.nix`);
  writeFileSync(file, BUILD_NIX);
  const nonce = `${Date.now()}-${Math.random()}`;
  const evaluated = await run([
    "nix-instantiate",
    "--eval",
    "--strict",
    "--json",
    "-A",
    "drvPaths",
    file,
    "--argstr",
    "nonce",
    nonce,
  ]);
  if (evaluated.code !== 0) throw new Error(`nix-instantiate failed:\n${evaluated.stderr}`);
  const drvs = JSON.parse(evaluated.stdout) as DrvPaths;
  // `-L` before `--log-format`: in Nix 2.8, -L picks its own log format. This machine has no nixbld
  // group and /bin/sh is outside the sandbox, hence the two options.
  const built = await run([
    "nix",
    "build",
    "-L",
    "--log-format",
    "internal-json",
    "--keep-going",
    "--max-jobs",
    String(jobs),
    "--no-link",
    "--option",
    "substituters",
    "",
    "--option",
    "build-users-group",
    "",
    "--option",
    "sandbox",
    "false",
    "--extra-experimental-features",
    "nix-command flakes",
    "-f",
    file,
    "targets",
    "--argstr",
    "nonce",
    nonce,
  ]);
  return { drvs, lines: built.stderr.split("\n"), code: built.code };
}

function feedAll(lines: string[], progress = new NixBuildProgress()): NixProgressEvent[] {
  return lines.flatMap((line) => progress.feed(line));
}

const BETA_TAIL = [...Array.from({ length: 19 }, (_, i) => `beta line ${i + 7}`), "to stderr"];

/** What a run of BUILD_NIX must teach the parser, whatever the scheduling. */
function expectBuildOutcome(drvs: DrvPaths, events: NixProgressEvent[], progress: NixBuildProgress): void {
  for (const event of events) expect(nixProgressEventSchema.parse(event)).toEqual(event);
  const of = (type: NixProgressEvent["type"]) => events.filter((e) => e.type === type);
  const paths = (type: NixProgressEvent["type"]) =>
    of(type)
      .map((e) => ("drvPath" in e ? e.drvPath : ""))
      .sort();

  expect(paths("build-started")).toEqual([drvs.alpha, drvs.beta, drvs.delta, drvs.epsilon].sort());
  expect(of("build-started")).toContainEqual({
    type: "build-started",
    drvPath: drvs.alpha,
    name: "alpha-1.0",
    machine: null,
  });
  expect(paths("build-finished")).toEqual([drvs.alpha, drvs.delta, drvs.epsilon].sort());
  expect(of("build-failed")).toEqual([
    {
      type: "build-failed",
      drvPath: drvs.beta,
      name: "beta",
      reason: "builder-failed",
      exitCode: 3,
      signal: null,
      failedDependencies: null,
      message: `builder for '${drvs.beta}' failed with exit code 3`,
      logTail: BETA_TAIL,
    },
    {
      type: "build-failed",
      drvPath: drvs.gamma,
      name: "gamma",
      reason: "dependencies-failed",
      exitCode: null,
      signal: null,
      failedDependencies: 1,
      message: `1 dependencies of derivation '${drvs.gamma}' failed to build`,
      logTail: [],
    },
  ]);
  const betaLines = of("log-line").filter((e) => e.type === "log-line" && e.drvPath === drvs.beta);
  expect(betaLines.length).toBe(27);
  expect(betaLines[0]).toEqual({ type: "log-line", drvPath: drvs.beta, name: "beta", line: "hi from beta" });
  expect(of("log-line")).toContainEqual({ type: "log-line", drvPath: drvs.delta, name: "delta", line: "d" });
  expect(of("progress").at(-1)).toEqual({ type: "progress", done: 3, expected: 3, running: 0, failed: 1 });

  const snapshot = progress.snapshot();
  expect(snapshot.building).toEqual([]);
  expect(snapshot.finished.map((f) => f.drvPath).sort()).toEqual(
    [drvs.alpha, drvs.delta, drvs.epsilon].sort(),
  );
  expect(snapshot.finished.find((f) => f.drvPath === drvs.epsilon)).toEqual({
    drvPath: drvs.epsilon,
    name: "epsilon",
  });
  expect(snapshot.failed.map((f) => [f.name, f.reason])).toEqual([
    ["beta", "builder-failed"],
    ["gamma", "dependencies-failed"],
  ]);
  expect(snapshot.counts).toEqual({ done: 3, expected: 3, running: 0, failed: 1 });
  expect(snapshot.errors).toEqual([
    `error: builder for '${drvs.beta}' failed with exit code 3`,
    `error: 1 dependencies of derivation '${drvs.gamma}' failed to build`,
  ]);
  expect(progress.logTail(drvs.beta)).toEqual(BETA_TAIL);
  expect(progress.logTail(drvs.alpha)).toEqual(["hi from alpha"]);
}

describe("NixBuildProgress on real Nix 2.8 output", () => {
  test("captured log (testdata)", () => {
    const drvs = JSON.parse(readFileSync(FIXTURE_DRVS, "utf8")) as DrvPaths;
    const lines = readFileSync(FIXTURE_LOG, "utf8").split("\n");
    const progress = new NixBuildProgress();
    const events = feedAll(lines, progress);
    expectBuildOutcome(drvs, events, progress);
    // Sequential build (-j1): every success is known as soon as its builder exits, before Nix ends.
    const finishedAt = events.findIndex((e) => e.type === "build-finished" && e.drvPath === drvs.alpha);
    const betaStartedAt = events.findIndex((e) => e.type === "build-started" && e.drvPath === drvs.beta);
    expect(finishedAt).toBeGreaterThan(-1);
    expect(finishedAt).toBeLessThan(betaStartedAt);
  });

  test.each([1, 2])(
    "live build with --max-jobs %d",
    async (jobs) => {
      const { drvs, lines, code } = await liveBuild(jobs);
      expect(code).toBe(1);
      const progress = new NixBuildProgress();
      expectBuildOutcome(drvs, feedAll(lines, progress), progress);
      if (jobs === 1 && process.env.NIXGEN_WRITE_FIXTURE === "1") {
        writeFileSync(FIXTURE_LOG, lines.join("\n"));
        writeFileSync(FIXTURE_DRVS, `${JSON.stringify(drvs, null, 2)}\n`);
      }
    },
    60_000,
  );
});

const DRV = "/nix/store/ysk4fvkcwz43asa77dynnrxadw28k091-beta.drv";
const DRV2 = "/nix/store/vwjlc470zciccpx97b9k8mc6ia54zj2s-alpha-1.0.drv";
const nix = (entry: object) => `@nix ${JSON.stringify(entry)}`;
const startBuilds = nix({ action: "start", id: 1, level: 0, text: "", type: 104 });
const startBuild = (id: number, drv: string, machine = "") =>
  nix({ action: "start", id, level: 3, text: `building '${drv}'`, type: 105, fields: [drv, machine, 1, 1] });
const counts = (done: number, expected: number, running: number, failed: number) =>
  nix({ action: "result", id: 1, type: 105, fields: [done, expected, running, failed] });
const logLine = (id: number, line: string) => nix({ action: "result", id, type: 101, fields: [line] });
const errorMsg = (text: string) =>
  nix({ action: "msg", level: 0, msg: `\u001b[31;1merror:\u001b[0m ${text}` });

describe("NixBuildProgress lines and faults", () => {
  test("drvName strips hash and .drv", () => {
    expect(drvName(DRV)).toBe("beta");
    expect(drvName(DRV2)).toBe("alpha-1.0");
    expect(drvName("/elsewhere/odd.drv")).toBe("odd");
  });

  test("malformed JSON and schema-invalid lines become messages, never throw", () => {
    const progress = new NixBuildProgress();
    expect(progress.feed("@nix {not json")).toEqual([
      { type: "message", level: null, text: "@nix {not json", source: "malformed" },
    ]);
    expect(progress.feed('@nix {"action":"start","id":"x"}')).toEqual([
      { type: "message", level: null, text: '@nix {"action":"start","id":"x"}', source: "malformed" },
    ]);
    expect(progress.feed('@nix {"action":"teleport","id":1}')).toEqual([
      { type: "message", level: null, text: '@nix {"action":"teleport","id":1}', source: "malformed" },
    ]);
    expect(progress.feed("@nix null")).toEqual([
      { type: "message", level: null, text: "@nix null", source: "malformed" },
    ]);
  });

  test("plain lines pass through with a level when they say one", () => {
    const progress = new NixBuildProgress();
    expect(
      progress.feed("warning: the group 'nixbld' specified in 'build-users-group' does not exist\n"),
    ).toEqual([
      {
        type: "message",
        level: 1,
        text: "warning: the group 'nixbld' specified in 'build-users-group' does not exist",
        source: "plain",
      },
    ]);
    expect(progress.feed("\u001b[31;1merror:\u001b[0m boom\r")).toEqual([
      { type: "message", level: 0, text: "error: boom", source: "plain" },
    ]);
    expect(progress.feed("just text")).toEqual([
      { type: "message", level: null, text: "just text", source: "plain" },
    ]);
    expect(progress.feed("")).toEqual([]);
    expect(progress.snapshot().errors).toEqual(["error: boom"]);
  });

  test("messages keep their level and lose their colour codes", () => {
    const progress = new NixBuildProgress();
    expect(
      progress.feed(nix({ action: "msg", level: 1, msg: "\u001b[35;1mwarning:\u001b[0m careful" })),
    ).toEqual([{ type: "message", level: 1, text: "warning: careful", source: "nix" }]);
    expect(progress.snapshot().errors).toEqual([]);
  });

  test("log tails are bounded and phases reported", () => {
    const progress = new NixBuildProgress({ tailLines: 2 });
    progress.feed(startBuild(7, DRV, "builder-1"));
    for (const line of ["one", "two", "three"]) progress.feed(logLine(7, line));
    expect(progress.logTail(DRV)).toEqual(["two", "three"]);
    expect(progress.feed(nix({ action: "result", id: 7, type: 104, fields: ["buildPhase"] }))).toEqual([
      { type: "phase", drvPath: DRV, name: "beta", phase: "buildPhase" },
    ]);
    expect(progress.snapshot().building).toEqual([{ drvPath: DRV, name: "beta", machine: "builder-1" }]);
    expect(progress.logTail("/nix/store/unknown.drv")).toEqual([]);
  });

  test("log lines of activities that are not builds become messages", () => {
    const progress = new NixBuildProgress();
    progress.feed(nix({ action: "start", id: 9, level: 3, text: "running post-build-hook", type: 110 }));
    expect(progress.feed(nix({ action: "result", id: 9, type: 107, fields: ["uploading"] }))).toEqual([
      { type: "message", level: 3, text: "uploading", source: "nix" },
    ]);
  });

  test("progress is reported when the counters change, not on every repeat", () => {
    const progress = new NixBuildProgress();
    progress.feed(startBuilds);
    expect(progress.feed(counts(0, 2, 0, 0))).toEqual([
      { type: "progress", done: 0, expected: 2, running: 0, failed: 0 },
    ]);
    expect(progress.feed(counts(0, 2, 0, 0))).toEqual([]);
  });

  test("parallel builds: a finish is only claimed when the counters make it certain", () => {
    const progress = new NixBuildProgress();
    progress.feed(startBuilds);
    expect(progress.feed(startBuild(2, DRV))).toEqual([
      { type: "build-started", drvPath: DRV, name: "beta", machine: null },
    ]);
    progress.feed(startBuild(3, DRV2));
    progress.feed(counts(0, 2, 2, 0));
    // One of the two is done, but which one is unknown until its activity stops.
    expect(progress.feed(counts(1, 2, 1, 0))).toEqual([
      { type: "progress", done: 1, expected: 2, running: 1, failed: 0 },
    ]);
    expect(progress.feed(nix({ action: "stop", id: 3 }))).toEqual([
      { type: "build-finished", drvPath: DRV2, name: "alpha-1.0" },
    ]);
    expect(progress.feed(counts(2, 2, 0, 0))).toEqual([
      { type: "build-finished", drvPath: DRV, name: "beta" },
      { type: "progress", done: 2, expected: 2, running: 0, failed: 0 },
    ]);
    expect(progress.feed(nix({ action: "stop", id: 2 }))).toEqual([]);
  });

  test("a stop the done counter does not account for is an unfinished build (interrupt)", () => {
    const progress = new NixBuildProgress();
    progress.feed(startBuilds);
    progress.feed(startBuild(2, DRV));
    progress.feed(counts(0, 1, 1, 0));
    progress.feed(logLine(2, "working"));
    expect(progress.feed(nix({ action: "stop", id: 2 }))).toEqual([
      {
        type: "build-failed",
        drvPath: DRV,
        name: "beta",
        reason: "unfinished",
        exitCode: null,
        signal: null,
        failedDependencies: null,
        message: `Nix stopped building '${DRV}' before it finished`,
        logTail: ["working"],
      },
    ]);
    expect(progress.feed(errorMsg("interrupted by the user"))).toEqual([
      { type: "message", level: 0, text: "error: interrupted by the user", source: "nix" },
    ]);
  });

  test("a failure not yet explained holds back the finish inference", () => {
    const progress = new NixBuildProgress();
    progress.feed(startBuilds);
    progress.feed(startBuild(2, DRV));
    expect(progress.feed(counts(0, 1, 0, 1))).toEqual([
      { type: "progress", done: 0, expected: 1, running: 0, failed: 1 },
    ]);
    const events = progress.feed(errorMsg(`builder for '${DRV}' failed due to signal 9 (Killed)`));
    expect(events).toEqual([
      {
        type: "message",
        level: 0,
        text: `error: builder for '${DRV}' failed due to signal 9 (Killed)`,
        source: "nix",
      },
      {
        type: "build-failed",
        drvPath: DRV,
        name: "beta",
        reason: "builder-failed",
        exitCode: null,
        signal: 9,
        failedDependencies: null,
        message: `builder for '${DRV}' failed due to signal 9 (Killed)`,
        logTail: [],
      },
    ]);
    // Nix repeats the first failure when it exits: one message, no second build-failed.
    expect(
      progress.feed(errorMsg(`builder for '${DRV}' failed due to signal 9 (Killed)`)).map((e) => e.type),
    ).toEqual(["message"]);
    expect(progress.snapshot().errors).toEqual([
      `error: builder for '${DRV}' failed due to signal 9 (Killed)`,
    ]);
  });

  test("newer Nix wording, hash mismatches and errors naming a running build", () => {
    const progress = new NixBuildProgress();
    progress.feed(startBuild(2, DRV));
    const newer = progress.feed(
      errorMsg(
        `Cannot build '${DRV}'.\n       Reason: builder failed with exit code 2.\n       Output paths: …`,
      ),
    );
    expect(newer[1]).toMatchObject({
      type: "build-failed",
      reason: "builder-failed",
      exitCode: 2,
      signal: null,
    });
    const deps = progress.feed(errorMsg(`Cannot build '${DRV2}'.\n       Reason: 1 dependency failed.`));
    expect(deps[1]).toMatchObject({
      type: "build-failed",
      drvPath: DRV2,
      reason: "dependencies-failed",
      failedDependencies: 1,
    });

    const other = new NixBuildProgress();
    other.feed(startBuild(3, DRV2));
    expect(other.feed(errorMsg(`hash mismatch in fixed-output derivation '${DRV}':`))[1]).toMatchObject({
      type: "build-failed",
      drvPath: DRV,
      reason: "hash-mismatch",
    });
    expect(other.feed(errorMsg(`path '${DRV2}' is not valid`))[1]).toEqual({
      type: "build-failed",
      drvPath: DRV2,
      name: "alpha-1.0",
      reason: "other",
      exitCode: null,
      signal: null,
      failedDependencies: null,
      message: `path '${DRV2}' is not valid`,
      logTail: [],
    });
    expect(other.snapshot().building).toEqual([]);
  });

  test("a bad tailLines option is refused with the value", () => {
    expect(() => new NixBuildProgress({ tailLines: -1 })).toThrow(
      "Expected the `tailLines` option to be a non-negative integer, got `-1`",
    );
  });
});
