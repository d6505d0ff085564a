/** State, process identity, status reconciliation and dependency ordering, without VMs. */
import { afterAll, describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ManifestMachine, VmState, VmStateFile } from "@nohead/schema";
import { isSameProcessAlive, readProcStat } from "./process-identity.ts";
import { projectAt, vmPaths } from "./project.ts";
import { type StartResult, type StartSpec, stoppedBeforeLaunch } from "./start-vm.ts";
import { readState, setAsideCorruptState } from "./state-store.ts";
import { startAll } from "./vm-pool.ts";
import { vmStatus } from "./vm-status.ts";
import { writeState } from "./write-state.ts";

const children: ReturnType<typeof spawn>[] = [];
afterAll(() => {
  for (const c of children) c.kill("SIGKILL");
});

function project() {
  const root = mkdtempSync(join(tmpdir(), "nohead-sup-"));
  return projectAt(root, join(root, ".nohead"), {});
}

function stateFor(
  name: string,
  pid: number | null,
  ticks: string | null,
  readiness: VmState["readiness"],
): VmStateFile {
  return {
    schemaVersion: 1,
    name,
    pid,
    processStartTicks: ticks,
    startedAt: new Date(Date.now() - 5000).toISOString(),
    runner: "/r",
    system: "/s",
    username: "nixy",
    display: "none",
    forwards: [{ name: "ssh", protocol: "tcp", guestPort: 22, hostPort: 40000, hostAddress: "127.0.0.1" }],
    sockets: { qmp: "/q", guestAgent: "/g", console: "/c" },
    consoleLog: "/l",
    disk: "/d",
    readiness,
    readyAt: null,
    health: [],
    initScript: null,
    failure: null,
    stop: null,
  };
}

function place(p: ReturnType<typeof project>, state: VmStateFile) {
  const paths = vmPaths(p, state.name);
  mkdirSync(paths.dir, { recursive: true });
  writeState(paths, state);
  return paths;
}

describe("process identity", () => {
  test("a live process matches its own start ticks, not other ticks (a reused pid)", () => {
    const child = spawn("sleep", ["30"], { stdio: "ignore" });
    children.push(child);
    const stat = readProcStat(child.pid ?? 0);
    expect(stat?.state).toMatch(/[RS]/);
    expect(isSameProcessAlive(child.pid ?? 0, stat?.startTicks ?? null)).toBe(true);
    expect(isSameProcessAlive(child.pid ?? 0, "1")).toBe(false);
    expect(readProcStat(1 << 22)).toBeNull();
  });
});

describe("state files", () => {
  test("round trip, written atomically (no temp file left); a file of an older version gets the watcher's defaults", () => {
    const p = project();
    const state = stateFor("web", 123, "456", "ready");
    const paths = place(p, state);
    const defaults = {
      healthStatus: null,
      lastHealthCheck: null,
      healthFailures: 0,
      restarts: 0,
      watcher: null,
      supervision: null,
    };
    expect(readState(paths)).toEqual({ kind: "ok", state: { ...state, ...defaults } });
    expect(readdirSync(paths.dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  test("a corrupt file is reported, never trusted, and reading leaves it in place", () => {
    const p = project();
    const paths = vmPaths(p, "db");
    mkdirSync(paths.dir, { recursive: true });
    writeFileSync(paths.state, "{ not json");
    const read = readState(paths);
    expect(read.kind).toBe("corrupt");
    if (read.kind !== "corrupt") return;
    expect(read.recoveredPid).toBeNull();
    expect(readFileSync(paths.state, "utf8")).toBe("{ not json");
    expect(vmStatus(p, "db").error).toContain("state file is corrupt");
    expect(readFileSync(paths.state, "utf8")).toBe("{ not json");
    const movedTo = setAsideCorruptState(paths);
    expect(readFileSync(movedTo, "utf8")).toBe("{ not json");
    expect(readState(paths)).toEqual({ kind: "missing" });
  });
});

describe("status is reconciled with reality", () => {
  test("running when the same process lives; crashed when it is gone without a stop; stopped after a stop", () => {
    const p = project();
    const child = spawn("sleep", ["30"], { stdio: "ignore" });
    children.push(child);
    const ticks = readProcStat(child.pid ?? 0)?.startTicks ?? null;
    place(p, stateFor("alive", child.pid ?? 0, ticks, "ready"));
    place(p, stateFor("gone", 1 << 22, "1", "ready"));
    place(p, stateFor("reused", child.pid ?? 0, "1", "ready"));
    place(p, {
      ...stateFor("halted", 1 << 22, "1", "stopped"),
      stop: { method: "powerdown", at: new Date().toISOString(), durationMs: 100 },
    });
    const alive = vmStatus(p, "alive");
    expect(alive.condition).toBe("running");
    expect(alive.pid).toBe(child.pid ?? 0);
    expect(alive.uptimeSeconds).toBeGreaterThanOrEqual(4);
    expect(vmStatus(p, "gone").condition).toBe("crashed");
    expect(vmStatus(p, "gone").error).toContain("is gone without a stop");
    expect(vmStatus(p, "reused").condition).toBe("crashed");
    expect(vmStatus(p, "halted")).toMatchObject({ condition: "stopped", stoppedBy: "powerdown", pid: null });
    expect(vmStatus(p, "never").condition).toBe("not-started");
  });
});

describe("dependency ordering", () => {
  const machine = (name: string, dependsOn: string[]) => ({ name, dependsOn }) as unknown as ManifestMachine;
  const spec = (name: string, dependsOn: string[] = []) =>
    ({ machine: machine(name, dependsOn) }) as StartSpec;
  const result = (name: string, ok: boolean): StartResult => ({
    machine: name,
    ok,
    alreadyRunning: false,
    outdated: false,
    readiness: ok ? "ready" : "failed",
    pid: 1,
    forwards: [],
    health: [],
    error: ok ? null : "boom",
    consoleTail: [],
    warnings: [],
    durationMs: 1,
  });

  test("a machine starts only after its dependencies are ready; independent ones start at once", async () => {
    const log: string[] = [];
    const start = async (s: StartSpec) => {
      log.push(`start ${s.machine.name}`);
      await Bun.sleep(s.machine.name === "db" ? 50 : 10);
      log.push(`ready ${s.machine.name}`);
      return result(s.machine.name, true);
    };
    const results = await startAll([spec("web", ["db"]), spec("db"), spec("cache")], () => undefined, start);
    expect(results.map((r) => r.machine)).toEqual(["web", "db", "cache"]);
    expect(log.indexOf("start web")).toBeGreaterThan(log.indexOf("ready db"));
    expect(log.indexOf("start cache")).toBeLessThan(log.indexOf("ready db"));
  });

  test("when a dependency fails, its dependents are not started and say why; others are unaffected", async () => {
    const started: string[] = [];
    const start = async (s: StartSpec) => {
      started.push(s.machine.name);
      return result(s.machine.name, s.machine.name !== "db");
    };
    const results = await startAll([spec("web", ["db"]), spec("db"), spec("cache")], () => undefined, start);
    expect(started.sort()).toEqual(["cache", "db"]);
    const web = results.find((r) => r.machine === "web");
    expect(web?.ok).toBe(false);
    expect(web?.error).toBe("not started: db is not ready");
    expect(results.find((r) => r.machine === "cache")?.ok).toBe(true);
  });

  test("when a stop ended a dependency's start, its dependents are not started and are stopped too", async () => {
    const started: string[] = [];
    const seen: string[] = [];
    const start = async (s: StartSpec) => {
      started.push(s.machine.name);
      return s.machine.name === "db" ? stoppedBeforeLaunch("db") : result(s.machine.name, true);
    };
    const results = await startAll(
      [spec("web", ["db"]), spec("db")],
      (p) => seen.push(`${p.machine} ${p.readiness}`),
      start,
    );
    expect(started).toEqual(["db"]);
    expect(results.map((r) => [r.machine, r.ok, r.readiness, r.error])).toEqual([
      ["web", false, "stopped", "not started: db was stopped while starting"],
      ["db", false, "stopped", "stopped while it was starting (a stop was asked for)"],
    ]);
    expect(seen).toEqual(["web stopped"]);
  });
});
