/**
 * Fake VM state for benchmarks of the commands that only read state (`list`, `status`): state
 * files valid against the real schema, written by the real state store, for VMs that are
 * stopped, or "running" as a live `sleep` process with its real start ticks — so `status` does
 * all its work (parse, /proc identity check, uptime) without booting 20 VMs.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { VmStateFile } from "@nohead/schema";
import { projectAt, readProcStat, vmPaths, writeState } from "@nohead/supervisor";

export interface FakeVmStates extends Disposable {
  names: string[];
  /** The stand-in processes of "running" VMs. */
  pids: number[];
  /** Ends the stand-in processes (also done by `using`). */
  stop: () => void;
}

/**
 * Writes `count` state files `vm-01`… under `<projectDir>/.nohead/`.
 *
 * @example
 * using fake = writeFakeVmStates("/tmp/p", 20, { running: true });
 * // `nohead status` in /tmp/p now shows 20 running VMs
 */
export function writeFakeVmStates(
  projectDir: string,
  count: number,
  { running }: { running: boolean },
): FakeVmStates {
  const project = projectAt(projectDir, join(projectDir, ".nohead"));
  const width = String(count).length;
  const names = Array.from({ length: count }, (_, i) => `vm-${String(i + 1).padStart(width, "0")}`);
  const sleepers: ReturnType<typeof Bun.spawn>[] = [];
  const stop = () => {
    for (const sleeper of sleepers) sleeper.kill("SIGKILL");
  };
  try {
    names.forEach((name, i) => {
      const paths = vmPaths(project, name);
      mkdirSync(paths.dir, { recursive: true });
      // A stopped VM's pid with start ticks no live process has: never mistaken for running.
      let pid = 4_000_000 + i;
      let ticks = "1";
      if (running) {
        const sleeper = Bun.spawn(["sleep", "3600"], { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
        sleepers.push(sleeper);
        pid = sleeper.pid;
        const stat = readProcStat(pid);
        if (!stat) throw new Error(`the stand-in process ${pid} for ${name} exited at once`);
        ticks = stat.startTicks;
      }
      const startedAt = new Date(Date.now() - 3_600_000).toISOString();
      const state: VmStateFile = {
        schemaVersion: 1,
        name,
        pid,
        processStartTicks: ticks,
        startedAt,
        runner: `/nix/store/00000000000000000000000000000000-run-${name}-vm/bin/run-${name}-vm`,
        system: `/nix/store/00000000000000000000000000000000-nixos-system-${name}`,
        username: "nixy",
        display: "none",
        forwards: [
          { name: "ssh", protocol: "tcp", guestPort: 22, hostPort: 22000 + i, hostAddress: "127.0.0.1" },
          { name: "http", protocol: "tcp", guestPort: 80, hostPort: 28000 + i, hostAddress: "127.0.0.1" },
        ],
        sockets: { qmp: paths.qmp, guestAgent: paths.guestAgent, console: paths.console },
        consoleLog: paths.consoleLog,
        disk: paths.disk,
        readiness: running ? "ready" : "stopped",
        readyAt: startedAt,
        health: [{ check: "ssh", ok: true, detail: "SSH-2.0-dropbear_2022.83" }],
        initScript: "started",
        failure: null,
        stop: running ? null : { method: "powerdown", at: new Date().toISOString(), durationMs: 1200 },
      };
      writeState(paths, state);
    });
  } catch (error) {
    stop();
    throw error;
  }
  return { names, pids: sleepers.map((s) => s.pid), stop, [Symbol.dispose]: stop };
}
