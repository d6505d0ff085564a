/**
 * One round of the nohead side of the runtime benchmark: `nohead runall -n --json` in a fixture
 * project until every VM is ready (wall time, the CLI's and the project supervisor's peak RSS —
 * the supervisor holds the VMs' workers), then `nohead stopall --json` (wall time). Whatever
 * happens, every VM of the project is stopped, and its supervisor has ended, before it returns.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isSameProcessAlive } from "../libs/supervisor/src/process-identity.ts";
import { CLI } from "../tests/support/run-cli.ts";
import { vmWorkerEntry } from "../libs/supervisor/src/worker-entry.ts";
import { isCompleteJson } from "./is-complete-json.ts";
import { reapQemuUnder } from "./qemu-reaper.ts";
import { type MeasuredRun, runMeasured } from "./run-measured.ts";

export interface RunallRound {
  /** Spawn to every VM ready: to exit, or to the full result being printed when the CLI hung. */
  readyMs: number;
  run: MeasuredRun;
  stopallMs: number;
  /** How each VM was stopped (`powerdown`, `quit`, …), by machine. */
  stopMethods: Record<string, string>;
  /** QEMU processes still running after stopall (killed by the benchmark). */
  leftovers: number[];
}

interface RunallOutput {
  machines: { machine: string; ok: boolean; error: string | null }[];
}
interface StopallOutput {
  machines: { machine: string; ok: boolean; method: string | null; error: string | null }[];
}

/** The pid of the project's live supervisor, or null. */
export function supervisorPid(projectDir: string): number | null {
  try {
    const record = JSON.parse(readFileSync(join(projectDir, ".nohead", "supervisor.json"), "utf8"));
    return isSameProcessAlive(record.pid, record.processStartTicks) ? record.pid : null;
  } catch {
    return null;
  }
}

/** Waits (at most 15 s) for the project's supervisor to end by itself, so a round starts afresh. */
export async function supervisorEnded(projectDir: string): Promise<void> {
  const deadline = performance.now() + 15_000;
  while (supervisorPid(projectDir) !== null && performance.now() < deadline) await Bun.sleep(100);
}

/**
 * Starts the `count` VMs of the fixture project in `projectDir` with runall, calls `whileRunning`
 * once they are all ready (to measure commands, record what runs), then stops them all.
 *
 * @example
 * const round = await runallRound(fleet.projectDir, 4);
 * console.log(round.readyMs, round.run.companionHwmBytes, round.stopallMs);
 */
export async function runallRound(
  projectDir: string,
  count: number,
  whileRunning: () => Promise<void> = async () => {},
): Promise<RunallRound> {
  // The VM worker is bundled on first use after a source change: never inside a timing.
  await vmWorkerEntry();
  await supervisorEnded(projectDir);
  let run: MeasuredRun | undefined;
  let failure: unknown;
  try {
    run = await runMeasured(["bun", CLI, "runall", "-n", "--json"], {
      cwd: projectDir,
      timeoutMs: 900_000,
      complete: isCompleteJson,
      exitGraceMs: 5000,
      companion: () => supervisorPid(projectDir),
    });
    if (run.outputMs !== null && (run.hung || run.exitCode === 0)) await whileRunning();
  } catch (error) {
    failure = error;
  }
  const stop = await runMeasured(["bun", CLI, "stopall", "--json"], { cwd: projectDir, timeoutMs: 180_000 });
  await supervisorEnded(projectDir);
  const leftovers = await reapQemuUnder(projectDir);
  if (failure !== undefined || run === undefined) throw failure;

  if (run.outputMs === null || !isCompleteJson(run.stdout)) {
    throw new Error(
      `nohead runall failed (exit ${run.exitCode}): ${run.stderr.trim().slice(-800)}${run.stdout.slice(-800)}`,
    );
  }
  // A failed VM is named with its error: with many VMs the output's tail is only the last ones.
  const started = JSON.parse(run.stdout) as RunallOutput;
  const failed = started.machines.filter((m) => !m.ok);
  if (started.machines.length !== count || failed.length > 0 || (!run.hung && run.exitCode !== 0)) {
    throw new Error(
      `nohead runall (exit ${run.exitCode}) started ${started.machines.length} of ${count} VMs; failed: ` +
        failed.map((m) => `${m.machine}: ${m.error}`).join("; "),
    );
  }
  if (stop.exitCode !== 0 || !isCompleteJson(stop.stdout)) {
    throw new Error(`nohead stopall failed (exit ${stop.exitCode}): ${stop.stderr.trim().slice(-800)}`);
  }
  const stopped = JSON.parse(stop.stdout) as StopallOutput;
  if (stopped.machines.length !== count || stopped.machines.some((m) => !m.ok)) {
    throw new Error(`nohead stopall did not stop all ${count} VMs: ${stop.stdout.slice(0, 800)}`);
  }
  return {
    readyMs: run.hung ? run.outputMs : run.wallMs,
    run,
    stopallMs: stop.wallMs,
    stopMethods: Object.fromEntries(stopped.machines.map((m) => [m.machine, m.method ?? "unknown"])),
    leftovers,
  };
}
