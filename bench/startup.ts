/**
 * Startup: how long `nohead --help` and `nohead list` take from spawn to exit (target ≤ 50 ms),
 * in an empty directory and in a project holding 20 VMs' state, next to the floor (`bun -e ''`)
 * and the cost of the modules the commands load, so a miss can be traced to what dominates it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI, REPO_ROOT } from "../tests/support/run-cli.ts";
import type { Benchmark, BenchContext } from "./benchmark.ts";
import { bundleCli } from "./bundle-cli.ts";
import { checkCommand } from "./check-command.ts";
import { writeFakeVmStates } from "./fake-vm-states.ts";
import { makeFigure } from "./figure.ts";
import { describeTiming, timeCommand } from "./time-command.ts";

const RUNS = Number(process.env.NOHEAD_BENCH_STARTUP_RUNS ?? 30);
const TARGET_MS = 50;

const lines = (n: number) => (out: string) => {
  const count = out.split("\n").filter((l) => l !== "").length;
  return count === n ? null : `expected ${n} line(s), got ${count}: ${out.slice(0, 200)}`;
};

/**
 * What the commands' startup is made of; each row is the wall time of a whole `bun -e '…'`
 * process run in the repository (so bare specifiers resolve), floor included.
 */
const IMPORTS: { name: string; code: string }[] = [
  { name: "bun -e 0 (floor of the rows below)", code: "0" },
  { name: "first touch of process.stdout", code: "process.stdout" },
  { name: "import node:child_process", code: 'await import("node:child_process")' },
  { name: "import node:util", code: 'await import("node:util")' },
  { name: "import node:crypto", code: 'await import("node:crypto")' },
  { name: "import commander", code: 'await import("commander")' },
  { name: "import picocolors", code: 'await import("picocolors")' },
  { name: "import zod", code: 'await import("zod")' },
  { name: "import @nohead/schema", code: 'await import("@nohead/schema")' },
  { name: "import @nohead/qemu", code: 'await import("@nohead/qemu")' },
  { name: "import @nohead/supervisor", code: 'await import("@nohead/supervisor")' },
  { name: "import execa", code: 'await import("execa")' },
  { name: "import @nohead/nixgen", code: 'await import("@nohead/nixgen")' },
  {
    name: "import program.ts + buildProgram()",
    code: 'const { buildProgram } = await import("./apps/cli/src/program.ts"); buildProgram("0")',
  },
  { name: "import commands/list.ts", code: 'await import("./apps/cli/src/commands/list.ts")' },
  { name: "import commands/status.ts", code: 'await import("./apps/cli/src/commands/status.ts")' },
];

/** Three ways to print one line from a file: Bun builds `process.stdout` (a Node stream) lazily. */
const PRINTS: { name: string; code: string }[] = [
  { name: "print a line: process.stdout.write", code: 'process.stdout.write("x\\n");\n' },
  { name: "print a line: console.log", code: 'console.log("x");\n' },
  { name: "print a line: Bun.write(Bun.stdout)", code: 'await Bun.write(Bun.stdout, "x\\n");\n' },
];

async function time(
  context: BenchContext,
  name: string,
  argv: string[],
  cwd: string,
  { target = null, note = null }: { target?: number | null; note?: string | null } = {},
): Promise<number> {
  const timing = await timeCommand({ argv, cwd, runs: RUNS });
  const how = describeTiming(timing);
  const figure = makeFigure({
    name,
    unit: "ms",
    samples: timing.samplesMs,
    target,
    note: note === null ? how : `${how}; ${note}`,
  });
  context.record(figure);
  return figure.median;
}

export const startup: Benchmark = {
  name: "startup",
  description: "nohead --help and nohead list wall time (target <= 50 ms), the bun floor and import costs",
  async run(context) {
    const root = mkdtempSync(join(tmpdir(), "nohead-bench-startup-"));
    try {
      const empty = join(root, "empty");
      const stopped = join(root, "stopped");
      const running = join(root, "running");
      for (const dir of [empty, stopped, running]) mkdirSync(dir);
      writeFakeVmStates(stopped, 20, { running: false });
      using live = writeFakeVmStates(running, 20, { running: true });
      const nohead = (...args: string[]) => ["bun", CLI, ...args];

      const floor = await time(context, "bun -e '' (floor)", ["bun", "-e", ""], empty, {
        note: "Bun skips most of its setup for an empty script: the floor of a process, not of a file",
      });
      writeFileSync(join(root, "empty.ts"), "");
      await time(context, "bun empty.ts (floor of a file)", ["bun", join(root, "empty.ts")], empty);
      for (const [i, { name, code }] of PRINTS.entries()) {
        const file = join(root, `print-${i}.ts`);
        writeFileSync(file, code);
        checkCommand(["bun", file], empty, (out) => (out === "x\n" ? null : `expected "x", got ${out}`));
        await time(context, name, ["bun", file], empty);
      }
      checkCommand(nohead("--help"), empty, (out) => (out.includes("list") ? null : "no help text"));
      await time(context, "nohead --help", nohead("--help"), empty, { target: TARGET_MS });
      checkCommand(nohead("list"), empty, lines(0));
      const list = await time(context, "nohead list (empty dir)", nohead("list"), empty, {
        target: TARGET_MS,
      });
      checkCommand(nohead("list"), stopped, lines(0));
      await time(context, "nohead list (20 stopped VMs)", nohead("list"), stopped, { target: TARGET_MS });
      checkCommand(nohead("list"), running, lines(live.names.length));
      await time(context, "nohead list (20 running VMs)", nohead("list"), running, {
        target: TARGET_MS,
        note: "running = live stand-in processes with their real start ticks",
      });
      checkCommand(nohead("status"), running, lines(live.names.length + 1));
      await time(context, "nohead status (20 running VMs)", nohead("status"), running, {
        target: TARGET_MS,
        note: "also measured by the runtime benchmark; here beside its bundled twin",
      });

      const bundled = await bundleCli(join(root, "bundle"));
      context.log("the same commands from a bundle of the CLI (bun build --splitting)");
      for (const [label, args, cwd, count] of [
        ["--help", ["--help"], empty, null],
        ["list (empty dir)", ["list"], empty, 0],
        ["list (20 running VMs)", ["list"], running, live.names.length],
        ["status (20 running VMs)", ["status"], running, live.names.length + 1],
      ] as const) {
        const argv = ["bun", bundled, ...args];
        checkCommand(argv, cwd, count === null ? undefined : lines(count));
        await time(context, `bundled: nohead ${label}`, argv, cwd, { target: TARGET_MS });
      }

      context.log(`import costs (bun floor ${floor.toFixed(1)} ms; nohead list ${list.toFixed(1)} ms)`);
      for (const { name, code } of IMPORTS) {
        checkCommand(["bun", "-e", code], REPO_ROOT);
        await time(context, name, ["bun", "-e", code], REPO_ROOT, {
          note: "wall time of the whole bun process (floor included), run in the repository",
        });
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  },
};
