/**
 * The supervisor's start, as commands pay it: (1) `ensureSupervisor` in a project where none
 * runs — spawn `nohead supervise` detached → lock → socket → record → `/v1/health` answers — and
 * (2) a whole `nohead runall` that needs a new supervisor and whose start is refused at once (a
 * machine's secret file is missing), so its wall time is the CLI's own work plus what it waits
 * for the supervisor, without a guest boot's noise. Each round waits for the supervisor to end by
 * itself (or ends it), so every round starts one. Also the CPU of loading the supervisor's code.
 */
import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureSupervisor, liveSupervisor, projectAt } from "@nohead/supervisor";
import { makeFixtureFleet } from "../tests/support/fixture-fleet.ts";
import { CLI, REPO_ROOT } from "../tests/support/run-cli.ts";
import type { Benchmark, BenchContext } from "./benchmark.ts";
import { makeFigure } from "./figure.ts";

const RUNS = Number(process.env.NOHEAD_BENCH_SUPERVISOR_RUNS ?? 15);

/** Ends the supervisor of `project` (SIGTERM: VMs are never touched) and waits until it is gone. */
async function endSupervisor(project: ReturnType<typeof projectAt>): Promise<void> {
  const live = liveSupervisor(project);
  if (live) process.kill(live.pid, "SIGTERM");
  for (let i = 0; i < 500 && liveSupervisor(project); i++) await Bun.sleep(10);
}

async function ensureLatency(context: BenchContext): Promise<void> {
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const root = mkdtempSync(join(tmpdir(), "nohead-bench-supervisor-"));
    const project = projectAt(root, join(root, ".nohead"));
    mkdirSync(project.stateDir, { recursive: true });
    const started = performance.now();
    await ensureSupervisor(project, [process.execPath, CLI, "supervise"]);
    samples.push(performance.now() - started);
    await endSupervisor(project);
  }
  context.record(
    makeFigure({
      name: "supervisor start (ensureSupervisor: spawn → answers)",
      unit: "ms",
      samples,
      note: "fresh project each round, no VM to adopt",
    }),
  );
}

async function runallLatency(context: BenchContext): Promise<void> {
  const fleet = await makeFixtureFleet(
    `{ ... }: { a = { secrets.key = /nonexistent/nohead-bench-secret; }; }`,
  );
  const project = projectAt(fleet.projectDir, join(fleet.projectDir, ".nohead"));
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    const child = Bun.spawn(["bun", CLI, "runall", "-n"], {
      cwd: fleet.projectDir,
      env: { ...process.env, NO_COLOR: "1" },
      stdout: "ignore",
      stderr: "ignore",
    });
    const code = await child.exited;
    samples.push(performance.now() - started);
    if (code !== 1) context.problem(`runall with a missing secret exited ${code}, expected 1`);
    await endSupervisor(project);
  }
  context.record(
    makeFigure({
      name: "runall that needs a new supervisor (start refused at once)",
      unit: "ms",
      samples,
      note: "CLI start + build read + supervisor start + one refused start request",
    }),
  );
}

async function loadCpu(context: BenchContext): Promise<void> {
  const samples: number[] = [];
  const code =
    'const c = process.cpuUsage(); await import("@nohead/agent/supervise"); const d = process.cpuUsage(c); console.log((d.user + d.system) / 1000)';
  for (let i = 0; i < RUNS; i++) {
    const child = Bun.spawnSync(["bun", "-e", code], { cwd: REPO_ROOT, stdout: "pipe", stderr: "pipe" });
    samples.push(Number(child.stdout.toString().trim()));
  }
  context.record(
    makeFigure({ name: "CPU of loading the supervisor's modules", unit: "ms", samples, note: null }),
  );
}

export const supervisorStart: Benchmark = {
  name: "supervisor-start",
  description: "what starting the project's supervisor costs a command",
  async run(context) {
    if (!existsSync(CLI)) throw new Error(`no CLI at ${CLI}`);
    await ensureLatency(context);
    await runallLatency(context);
    await loadCpu(context);
  },
};
