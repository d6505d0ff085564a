/**
 * `status`: the fast path (no names: no parser, no schemas) and the full command agree exactly,
 * and anything unusual (a corrupt state file) goes to the full command, which reports it.
 * State files of live `sleep` processes stand in for VMs.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readProcStat } from "@nohead/supervisor/process-identity";
import { runCli } from "../../../../tests/support/run-cli.ts";

const sleeper = spawn("sleep", ["120"], { stdio: "ignore" });
/** Supervisors status started for these projects (they would end by themselves once `sleep` does). */
const supervisors: number[] = [];
afterAll(() => {
  sleeper.kill("SIGKILL");
  for (const pid of supervisors) process.kill(pid, "SIGTERM");
});

function project(states: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), "nohead-status-"));
  for (const [name, state] of Object.entries(states)) {
    mkdirSync(join(dir, ".nohead/vms", name), { recursive: true });
    writeFileSync(
      join(dir, ".nohead/vms", name, "state.json"),
      typeof state === "string" ? state : JSON.stringify(state),
    );
  }
  return dir;
}

function state(name: string, pid: number, ticks: string | null, readiness: string) {
  return {
    schemaVersion: 1,
    name,
    pid,
    processStartTicks: ticks,
    startedAt: new Date(Date.now() - 65_000).toISOString(),
    runner: "/r",
    system: "/s",
    username: "nixy",
    display: "none",
    forwards: [{ name: "ssh", protocol: "tcp", guestPort: 22, hostPort: 41000, hostAddress: "127.0.0.1" }],
    sockets: { qmp: "/q", guestAgent: "/g", console: "/c" },
    consoleLog: "/l",
    disk: "/d",
    readiness,
    readyAt: null,
    health: [],
    initScript: "exited 0",
    failure: null,
    stop: null,
  };
}

describe("nohead status", () => {
  test("the fast path and the full command print the same machines", async () => {
    const ticks = readProcStat(sleeper.pid ?? 0)?.startTicks ?? null;
    const dir = project({
      alive: state("alive", sleeper.pid ?? 0, ticks, "ready"),
      gone: state("gone", 1 << 22, "1", "booted"),
    });
    const first = await runCli(["status", "--json"], { cwd: dir });
    expect(first.exitCode).toBe(0);
    // A VM runs here and no supervisor did: status started one (once), which adopts the VM.
    const supervisor = JSON.parse(first.stdout).supervisor as { pid: number };
    expect(supervisor.pid).toBeGreaterThan(0);
    supervisors.push(supervisor.pid);
    const watcherOf = () => {
      try {
        return JSON.parse(readFileSync(join(dir, ".nohead/vms/alive/state.json"), "utf8")).watcher?.pid;
      } catch {
        return undefined; // mid-write
      }
    };
    for (let i = 0; i < 100 && watcherOf() !== supervisor.pid; i++) await Bun.sleep(100);
    expect(watcherOf()).toBe(supervisor.pid);
    // Compared once it adopted: both read the same state (the watcher included).
    const fast = await runCli(["status", "--json"], { cwd: dir });
    const full = await runCli(["status", "alive", "gone", "--json"], { cwd: dir });
    expect(fast.exitCode).toBe(0);
    expect(full.exitCode).toBe(0);
    const strip = (text: string) =>
      (JSON.parse(text).machines as Record<string, unknown>[]).map(({ uptimeSeconds: _u, ...rest }) => rest);
    expect(strip(fast.stdout)).toEqual(strip(full.stdout));
    expect(JSON.parse(fast.stdout).supervisor).toEqual(supervisor);
    expect(JSON.parse(full.stdout).supervisor).toEqual(supervisor);
    const [alive, gone] = JSON.parse(fast.stdout).machines;
    expect(alive).toMatchObject({
      name: "alive",
      condition: "running",
      readiness: "ready",
      pid: sleeper.pid,
      host: "local",
    });
    expect(alive.uptimeSeconds).toBeGreaterThanOrEqual(64);
    expect(gone).toMatchObject({ name: "gone", condition: "crashed", pid: null });
    const table = await runCli(["status"], { cwd: dir });
    expect(table.stdout).toMatch(/^alive\s+running\s+ready\s+-\s+\d+\s+1m0\ds\s+ssh 41000→22\s+exited 0$/m);
    expect(table.stdout).toContain(
      "! gone: QEMU (pid 4194304) is gone without a stop; last readiness booted",
    );
  });

  test("a corrupt state file sends status to the full command, which reports it and leaves it", async () => {
    const dir = project({ broken: "{ nope" });
    const { exitCode, stdout } = await runCli(["status", "--json"], { cwd: dir });
    expect(exitCode).toBe(0);
    const [broken] = JSON.parse(stdout).machines;
    expect(broken.name).toBe("broken");
    expect(broken.condition).toBe("stopped");
    expect(broken.error).toContain("state file is corrupt");
    expect(readFileSync(join(dir, ".nohead/vms/broken/state.json"), "utf8")).toBe("{ nope");
  });
});
