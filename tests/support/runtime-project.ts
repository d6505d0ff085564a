/**
 * A test project of fixture VMs driven the way a user drives nohead: a build result made by
 * {@link makeFixtureFleet}, the real CLI run in the project directory, `status --json` parsed,
 * and a cleanup that stops every VM of the project and reports any QEMU left behind (so a test
 * file can assert that it leaves no process running).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { VmStatus } from "@nohead/supervisor";
import { type FixtureFleet, makeFixtureFleet } from "./fixture-fleet.ts";
import { type CliResult, runCli } from "./run-cli.ts";

/** Health deadlines (seconds) for test configs: a fixture VM that has not made it by then never will. */
export const TEST_DEADLINES = "health.deadlines = { started = 30; booted = 90; ready = 120; };";

export interface RuntimeProject extends FixtureFleet {
  /** `nohead <args>` in the project directory. */
  cli(args: string[], options?: { timeoutMs?: number; env?: Record<string, string> }): Promise<CliResult>;
  /** `nohead status --json`, parsed; fails the test when status itself fails. */
  status(): Promise<VmStatus[]>;
  /** The status of one machine (throws when status does not list it). */
  statusOf(name: string): Promise<VmStatus>;
  /** The raw state file of a VM (`.nohead/vms/<name>/state.json`), or null when there is none. */
  stateFile(name: string): Record<string, unknown> | null;
  /** `.nohead/vms/<name>` */
  vmDir(name: string): string;
  /** Live processes whose command line mentions the project directory (QEMU, runners, supervisor). */
  processes(): string[];
  /**
   * The live processes once the project's supervisor had the seconds it takes to end by itself
   * after the last VM stopped (empty when nothing is left behind).
   */
  lingering(): Promise<string[]>;
  /**
   * Stops every VM (`nohead stopall`), gives the project's supervisor the few seconds it takes to
   * end by itself, then kills by pid whatever process of the project is still alive; returns what
   * was still alive by then (empty when stopall and the supervisor did their job).
   */
  cleanup(): Promise<string[]>;
}

/**
 * Makes a fixture build result from `configs` (a configs.nix body) in a new temp project.
 *
 * @example
 * const project = await makeRuntimeProject(`{ ... }: { a = { ${TEST_DEADLINES} }; }`);
 * expect((await project.cli(["runall", "-n"])).exitCode).toBe(0);
 * expect(await project.cleanup()).toEqual([]);
 */
export async function makeRuntimeProject(configs: string): Promise<RuntimeProject> {
  const fleet = await makeFixtureFleet(configs);
  const { projectDir } = fleet;
  const cli = (
    args: string[],
    { timeoutMs = 150_000, env = {} }: { timeoutMs?: number; env?: Record<string, string> } = {},
  ) => runCli(args, { cwd: projectDir, timeoutMs, env });
  const status = async () => {
    const result = await cli(["status", "--json"]);
    if (result.exitCode !== 0) {
      throw new Error(`nohead status --json exited ${result.exitCode}: ${result.stderr}`);
    }
    return (JSON.parse(result.stdout) as { machines: VmStatus[] }).machines;
  };
  const vmDir = (name: string) => join(projectDir, ".nohead", "vms", name);
  const processes = () => projectProcesses(projectDir).map((p) => `${p.pid} ${p.command}`);
  const lingering = async () => {
    await waitUntil(() => !processes().some((p) => p.includes(" supervise --state-dir ")), 15_000);
    return processes();
  };
  return {
    ...fleet,
    cli,
    status,
    async statusOf(name) {
      const found = (await status()).find((s) => s.name === name);
      if (!found) throw new Error(`nohead status does not list ${name}`);
      return found;
    },
    stateFile(name) {
      const file = join(vmDir(name), "state.json");
      if (!existsSync(file)) return null;
      try {
        return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
      } catch {
        return null; // Mid-write by another process, or deliberately corrupted by a test.
      }
    },
    vmDir,
    processes,
    lingering,
    async cleanup() {
      await cli(["stopall"]);
      const left = await lingering();
      for (const { pid } of projectProcesses(projectDir)) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // Already gone.
        }
      }
      await waitUntil(() => projectProcesses(projectDir).length === 0, 10_000);
      return left;
    },
  };
}

/** Processes whose command line contains `dir` (what `pgrep -f <dir>` finds), zombies excluded. */
export function projectProcesses(dir: string): { pid: number; command: string }[] {
  const found = Bun.spawnSync(["pgrep", "-a", "-f", dir], { stdout: "pipe", stderr: "ignore" });
  return found.stdout
    .toString()
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const space = line.indexOf(" ");
      return { pid: Number(line.slice(0, space)), command: line.slice(space + 1) };
    })
    .filter(({ pid }) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
        return state !== "Z" && state !== "X";
      } catch {
        return false;
      }
    });
}

/** Polls `condition` every 100 ms; true once it holds, false after `timeoutMs`. */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() >= deadline) return false;
    await Bun.sleep(100);
  }
  return true;
}
