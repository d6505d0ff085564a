/**
 * The supervisor's lock, record and launch, as commands use them: one supervisor per project, a
 * killed one's lock and record taken over, and a supervisor that never answers reported with its
 * log. (tests/runtime/supervisor.test.ts runs the real one with real VMs.)
 */
import { afterAll, describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { NoheadError, type SupervisorRecord } from "@nohead/schema";
import { testTempDir } from "../../../tests/support/temp-dir.ts";
import { readProcStat } from "./process-identity.ts";
import { projectAt } from "./project.ts";
import {
  ensureSupervisor,
  launchSupervisor,
  liveSupervisor,
  releaseSupervisor,
  SUPERVISOR_LOG_MAX_BYTES,
  socketProblem,
  supervisorPaths,
  takeSupervisorLock,
  writeSupervisorRecord,
} from "./supervisor-process.ts";

const sleeper = spawn("sleep", ["60"], { stdio: "ignore" });
afterAll(() => sleeper.kill("SIGKILL"));

function newProject() {
  const root = testTempDir("nohead-supervisor-");
  const project = projectAt(root, join(root, ".nohead"), { XDG_RUNTIME_DIR: join(root, "run") });
  mkdirSync(project.stateDir, { recursive: true });
  return { project, paths: supervisorPaths(project) };
}

describe("the supervisor lock", () => {
  test("is refused while a live process holds it", () => {
    const { paths } = newProject();
    const pid = sleeper.pid ?? 0;
    writeFileSync(paths.lock, `${pid} ${readProcStat(pid)?.startTicks}\n`);
    expect(takeSupervisorLock(paths)).toBe(false);
    expect(readFileSync(paths.lock, "utf8")).toStartWith(`${pid} `);
  });

  test("is taken over from a holder that died, and released with the record", () => {
    const { paths } = newProject();
    writeFileSync(paths.lock, "4194304 1\n"); // no such process
    expect(takeSupervisorLock(paths)).toBe(true);
    expect(readFileSync(paths.lock, "utf8")).toStartWith(`${process.pid} `);
    expect(takeSupervisorLock(paths)).toBe(false); // held (by us): never twice
    writeSupervisorRecord(paths);
    releaseSupervisor(paths);
    expect(existsSync(paths.lock)).toBe(false);
    expect(existsSync(paths.record)).toBe(false);
  });
});

describe("the supervisor record", () => {
  test("counts only while its process (pid and start time) lives", () => {
    const { project, paths } = newProject();
    expect(liveSupervisor(project)).toBeNull();
    const record = writeSupervisorRecord(paths);
    expect(record).toEqual({
      schemaVersion: 1,
      pid: process.pid,
      processStartTicks: readProcStat(process.pid)?.startTicks ?? null,
      socket: join(project.runtimeDir, "supervisor.sock"),
      startedAt: expect.any(String),
    });
    expect(liveSupervisor(project)).toEqual(record);
    writeFileSync(paths.record, JSON.stringify({ ...record, processStartTicks: "1" }));
    expect(liveSupervisor(project)).toBeNull(); // same pid, another process: pid reuse
  });
});

describe("ensureSupervisor", () => {
  test("a supervisor that never answers is an error quoting its log, after the deadline", async () => {
    const { project, paths } = newProject();
    const started = performance.now();
    let error: unknown;
    try {
      await ensureSupervisor(project, ["sh", "-c", 'echo "cannot start: no luck"; exit 3', "supervise"], {
        timeoutMs: 600,
      });
    } catch (e) {
      error = e;
    }
    expect(performance.now() - started).toBeGreaterThanOrEqual(600);
    expect(error).toBeInstanceOf(NoheadError);
    expect((error as NoheadError).kind).toBe("failed");
    expect((error as NoheadError).message).toBe(
      "the project's supervisor did not answer on its socket within 0.6 s",
    );
    expect((error as NoheadError).hint).toBe(`its log ${paths.log} says:\n  cannot start: no luck`);
  });
});

describe("the supervisor's log", () => {
  test("over 1 MiB, a launch moves it to .1 (replacing the old one) and starts a new one", async () => {
    const { project, paths } = newProject();
    writeFileSync(`${paths.log}.1`, "the oldest lines\n");
    const big = `${"x".repeat(SUPERVISOR_LOG_MAX_BYTES)}\nlast line of the big log\n`;
    writeFileSync(paths.log, big);
    launchSupervisor(project, ["sh", "-c", "echo fresh start", "supervise"]);
    for (let i = 0; i < 200 && readFileSync(paths.log, "utf8") === ""; i++) await Bun.sleep(10);
    expect(readFileSync(paths.log, "utf8")).toBe("fresh start\n");
    expect(readFileSync(`${paths.log}.1`, "utf8")).toBe(big);
  });

  test("up to 1 MiB, it is kept and appended to", async () => {
    const { project, paths } = newProject();
    writeFileSync(paths.log, "earlier run\n");
    launchSupervisor(project, ["sh", "-c", "echo next run", "supervise"]);
    for (let i = 0; i < 200 && readFileSync(paths.log, "utf8") === "earlier run\n"; i++) await Bun.sleep(10);
    expect(readFileSync(paths.log, "utf8")).toBe("earlier run\nnext run\n");
    expect(existsSync(`${paths.log}.1`)).toBe(false);
  });
});

describe("the supervisor's socket", () => {
  test("in a directory others may enter, it is refused before any request is sent", async () => {
    const { project, paths } = newProject();
    mkdirSync(project.runtimeDir, { recursive: true, mode: 0o755 });
    chmodSync(project.runtimeDir, 0o755);
    let requests = 0;
    const planted = Bun.serve({
      unix: paths.socket,
      fetch: () => {
        requests++;
        return Response.json({ ok: true });
      },
    });
    try {
      writeSupervisorRecord(paths); // a live process (this one) claims it
      expect(socketProblem(paths.socket)).toBe("it is in a directory others may enter (mode 755)");
      let error: unknown;
      try {
        await ensureSupervisor(project, ["false"], { timeoutMs: 2000 });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(NoheadError);
      expect((error as NoheadError).message).toBe(
        `the project's supervisor socket ${paths.socket} cannot be trusted: it is in a directory others may enter (mode 755)`,
      );
      expect(requests).toBe(0);
      chmodSync(project.runtimeDir, 0o700);
      expect(socketProblem(paths.socket)).toBeNull();
      const live = liveSupervisor(project) as SupervisorRecord;
      expect(await ensureSupervisor(project, ["false"], { timeoutMs: 2000 })).toEqual(live);
      expect(requests).toBe(1);
    } finally {
      planted.stop(true);
    }
  });
});
