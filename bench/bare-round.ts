/**
 * One round of the bare side of the runtime and scale benchmarks: a launcher (bench/bare-fleet.ts,
 * bench/replay-fleet.ts) starts the same VMs nohead starts and waits for the same readiness (wall
 * time), then every VM is powered down over QMP in parallel and timed until its process exits —
 * the floor `nohead stopall` is held to. Whatever happens, every VM under the state dir is stopped
 * before it returns.
 */
import { isCompleteJson } from "./is-complete-json.ts";
import { powerDown } from "./power-down.ts";
import { reapQemuUnder } from "./qemu-reaper.ts";
import { type MeasuredRun, runMeasured } from "./run-measured.ts";

export interface BareRound {
  readyMs: number;
  run: MeasuredRun;
  /** Each VM's power-down, request to process exit, in ms. */
  powerDownMs: number[];
  leftovers: number[];
}

interface BareOutput {
  readyMs: number;
  vms: { name: string; pid: number; startTicks: string | null; qmp: string }[];
}

/**
 * Runs `launcher` (in `stateDir`), which starts `count` VMs whose files are under `stateDir` and
 * prints `{ readyMs, vms }` once they are ready, then powers them down.
 *
 * @example
 * const round = await bareRound(["bun", "bench/bare-fleet.ts", resultDir, "/tmp/bench/n4-bare"], "/tmp/bench/n4-bare", 4);
 * console.log(round.readyMs, Math.max(...round.powerDownMs));
 */
export async function bareRound(launcher: string[], stateDir: string, count: number): Promise<BareRound> {
  try {
    const run = await runMeasured(launcher, {
      cwd: stateDir,
      timeoutMs: 900_000,
      complete: isCompleteJson,
      exitGraceMs: 5000,
    });
    if (run.outputMs === null || (!run.hung && run.exitCode !== 0)) {
      throw new Error(
        `${launcher.join(" ")} failed (exit ${run.exitCode}): ${run.stderr.trim().slice(-800)}`,
      );
    }
    const output = JSON.parse(run.stdout) as BareOutput;
    if (output.vms.length !== count)
      throw new Error(`${launcher.join(" ")} started ${output.vms.length} of ${count} VMs`);
    const powerDownMs = await Promise.all(
      output.vms.map((vm) =>
        powerDown({ pid: vm.pid, startTicks: vm.startTicks, qmpSocket: vm.qmp }, 60_000),
      ),
    );
    return {
      readyMs: run.hung ? run.outputMs : run.wallMs,
      run,
      powerDownMs,
      leftovers: await reapQemuUnder(stateDir),
    };
  } finally {
    await reapQemuUnder(stateDir);
  }
}
