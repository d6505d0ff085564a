/**
 * `nohead test [files…]`: the NixOS test driver's loop for a nohead fleet. Starts every machine
 * of the build on fresh disks (live, as runall does), runs the test files with `bun test` —
 * `import … from "nohead/test"` resolves wherever they are — optionally writes JUnit XML, stops
 * every VM it started (unless `--keep`) and exits with the tests' result. One deadline bounds the
 * whole run; when it passes, the run fails and says what was going on. `--interactive` starts the
 * fleet, keeps it and prints how to reach each machine.
 */
import { rmSync } from "node:fs";
import { resolve } from "node:path";
import { NoheadError } from "@nohead/schema";
import type { Fleet } from "@nohead/supervisor";
import { TEST_PRELOAD, TEST_SESSION_ENV } from "@nohead/testing/test-session";
import pc from "picocolors";
import { openFleet } from "../open-fleet.ts";
import type { GlobalOptions } from "../program.ts";
import { StartView } from "../start-view.ts";

export interface TestOptions {
  junit?: string;
  keep?: boolean;
  interactive?: boolean;
  /** The whole run's deadline, in seconds. */
  timeout: number;
}

/** Lines of the tests' output kept to say what was running when the deadline passed. */
const TAIL_LINES = 6;

export async function run(args: unknown[], globals: GlobalOptions): Promise<number> {
  const [files, options] = args as [string[], TestOptions];
  const deadline = performance.now() + options.timeout * 1000;
  const fleet = openFleet(globals);
  const names = fleet.manifest.machines.map((m) => m.name);
  const reused = fleet.running().filter((n) => names.includes(n));
  const toStart = names.filter((n) => !reused.includes(n));
  for (const name of reused) {
    process.stderr.write(
      `${pc.yellow("note:")} ${name} is already running: tested as it is (not on a fresh disk) and left running\n`,
    );
  }

  /** Stops what this run started; kept machines stay unless the run was interrupted. */
  const stopStarted = async ({ interrupted = false } = {}) => {
    if ((!interrupted && (options.keep || options.interactive)) || toStart.length === 0) return;
    for (const report of await fleet.stop(toStart)) {
      if (!report.ok)
        process.stderr.write(`${pc.red("✖")} ${report.machine}: not stopped: ${report.error}\n`);
    }
  };

  // Ctrl-C or a TERM ends the tests, and what this run started is still stopped.
  const interrupt = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupt.signal.aborted) return;
    interrupt.abort(signal);
    process.stderr.write(`\n${pc.yellow(signal)}: ending the run; stopping the machines it started…\n`);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const code = await startAndTest(fleet, files, options, {
      names,
      toStart,
      deadline,
      stopStarted,
      globals,
      interrupt: interrupt.signal,
    });
    if (!interrupt.signal.aborted) return code;
    return interrupt.signal.reason === "SIGINT" ? 130 : 143;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

async function startAndTest(
  fleet: Fleet,
  files: string[],
  options: TestOptions,
  run: {
    names: string[];
    toStart: string[];
    deadline: number;
    stopStarted: (options?: { interrupted?: boolean }) => Promise<void>;
    globals: GlobalOptions;
    interrupt: AbortSignal;
  },
): Promise<number> {
  const { names, toStart, deadline, stopStarted, globals, interrupt } = run;
  const started = await startFresh(fleet, toStart, deadline, options.timeout);
  if (!started.ok) {
    await stopStarted();
    process.stderr.write(`${pc.red("✖")} ${started.reason}\n`);
    return 1;
  }
  if (interrupt.aborted) {
    await stopStarted({ interrupted: true });
    return 1;
  }
  if (options.interactive) {
    process.stderr.write(connectHelp(fleet, names, globals));
    return 0;
  }

  let code: number;
  try {
    code = await runTests(files, options, fleet, deadline, interrupt);
  } finally {
    await stopStarted({ interrupted: interrupt.aborted });
  }
  if (options.keep && !interrupt.aborted) process.stderr.write(connectHelp(fleet, names, globals));
  return code;
}

/** Starts `names` on fresh disks and fresh console logs (the test driver's fresh state) within the deadline. */
async function startFresh(
  fleet: Fleet,
  names: string[],
  deadline: number,
  timeoutSeconds: number,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  if (names.length === 0) return { ok: true };
  for (const name of names) rmSync(fleet.consoleLog(name), { force: true });
  const view = new StartView(names);
  const ready = new Set<string>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<"timed-out">((resolveTimeout) => {
    timer = setTimeout(() => resolveTimeout("timed-out"), Math.max(0, deadline - performance.now()));
  });
  const starting = fleet.start(names, {
    fresh: true,
    display: "none",
    onProgress: (p) => {
      if (p.readiness === "ready") ready.add(p.machine);
      view.update(p);
    },
  });
  const outcome = await Promise.race([starting, timedOut]);
  clearTimeout(timer);
  if (outcome === "timed-out") {
    // Starts cannot be cut short; let them end (each has its own deadlines) so they can be stopped.
    const results = await starting;
    view.finish(results);
    const waiting = names.filter((n) => !ready.has(n));
    return {
      ok: false,
      reason: `the run's deadline (--timeout ${timeoutSeconds}) passed while starting the fleet; not ready then: ${waiting.join(", ")}`,
    };
  }
  view.finish(outcome);
  const failed = outcome.filter((r) => !r.ok).map((r) => r.machine);
  return failed.length === 0
    ? { ok: true }
    : { ok: false, reason: `not started: ${failed.join(", ")}; no test ran` };
}

/** Runs the files with `bun test`, forwarding its output live; resolves with its exit code (1 past the deadline). */
async function runTests(
  files: string[],
  options: TestOptions,
  fleet: Fleet,
  deadline: number,
  interrupt: AbortSignal,
): Promise<number> {
  const remainingMs = Math.max(1000, Math.round(deadline - performance.now()));
  const child = Bun.spawn(
    [
      process.execPath,
      "test",
      "--preload",
      TEST_PRELOAD,
      // Each test may use the whole run's time: the Machine API's own deadlines bound each wait.
      `--timeout=${remainingMs}`,
      ...(options.junit ? ["--reporter=junit", `--reporter-outfile=${resolve(options.junit)}`] : []),
      // Absolute paths run whatever the file is called (bun test filters bare names by pattern).
      ...files.map((file) => resolve(file)),
    ],
    {
      stdin: "inherit",
      stdout: "pipe",
      stderr: "pipe",
      env: {
        ...process.env,
        [TEST_SESSION_ENV.cwd]: fleet.project.root,
        [TEST_SESSION_ENV.result]: fleet.resultPath,
      },
    },
  );
  const tail: string[] = [];
  const forward = async (stream: ReadableStream<Uint8Array>, to: NodeJS.WriteStream) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      to.write(chunk);
      for (const line of decoder.decode(chunk, { stream: true }).split("\n")) {
        if (line.trim() === "") continue;
        tail.push(line);
        if (tail.length > TAIL_LINES) tail.shift();
      }
    }
  };
  let timedOut = false;
  const end = () => {
    child.kill("SIGTERM");
    setTimeout(() => child.kill("SIGKILL"), 5000).unref();
  };
  const timer = setTimeout(() => {
    timedOut = true;
    end();
  }, remainingMs);
  interrupt.addEventListener("abort", end, { once: true });
  const [code] = await Promise.all([
    child.exited,
    forward(child.stdout, process.stdout),
    forward(child.stderr, process.stderr),
  ]);
  clearTimeout(timer);
  interrupt.removeEventListener("abort", end);
  if (interrupt.aborted) return 1;
  if (timedOut) {
    process.stderr.write(
      `${pc.red("✖")} the run's deadline (--timeout ${options.timeout}) passed while the tests ran; they were stopped. ` +
        `Last output:\n${tail.map((l) => `  ${pc.dim("│")} ${l}`).join("\n")}\n`,
    );
    return 1;
  }
  if (code !== 0 && code !== 1) {
    throw new NoheadError("failed", `bun test exited with ${code}`, { hint: "see its output above" });
  }
  return code;
}

/** The commands that reach each machine of a kept fleet. */
function connectHelp(fleet: Fleet, names: string[], globals: GlobalOptions): string {
  const r = globals.result === "result" ? "" : ` -r ${globals.result}`;
  const lines = ["", pc.bold("The fleet is running. Reach it with:")];
  for (const status of fleet.status(names)) {
    const ports = status.forwards.map((f) => `${f.name} → 127.0.0.1:${f.hostPort}`).join(", ");
    lines.push(
      `  ${pc.bold(status.name)} (${status.condition}${ports ? `; ${ports}` : ""})`,
      `    nohead${r} ssh ${status.name}`,
      `    nohead${r} exec ${status.name} -- <command…>`,
      `    nohead${r} console ${status.name}       (detach: Ctrl-])`,
    );
  }
  lines.push(
    `  run tests against it (running machines are reused): nohead${r} test <files…>`,
    `  stop it: nohead${r} stopall`,
    "",
  );
  return lines.join("\n");
}
