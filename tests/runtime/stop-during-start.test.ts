/**
 * `nohead stop db` while `runall` is still bringing db up ends that start, with real fixture VMs:
 * db's QEMU is stopped, its lock released, runall reports db as stopped while starting (not as a
 * failure) and does not start its dependent, whose line says why.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { isSameProcessAlive } from "@nohead/supervisor";
import { CLI } from "../support/run-cli.ts";
import { makeRuntimeProject, type RuntimeProject, waitUntil } from "../support/runtime-project.ts";

let project: RuntimeProject;
let queued: RuntimeProject;

beforeAll(async () => {
  // db never gets ready by itself (its check fails until its 120 s deadline): the stop always
  // lands while it starts.
  project = await makeRuntimeProject(`{ ... }: {
    db = { health.command = "false"; health.deadlines = { started = 30; booted = 90; ready = 120; }; };
    web = { dependsOn = [ "db" ]; health.deadlines = { started = 30; booted = 90; ready = 120; }; };
  }`);
  // db gets ready only after 20 s of uptime (its guest agent is busy with its checks until then,
  // so nothing else can tell it): web waits for it meanwhile, queued, with no state of its own.
  queued = await makeRuntimeProject(`{ ... }: {
    db = { health.command = "test $(cut -d. -f1 /proc/uptime) -ge 20"; health.deadlines = { started = 30; booted = 90; ready = 120; }; };
    web = { dependsOn = [ "db" ]; health.deadlines = { started = 30; booted = 90; ready = 120; }; };
  }`);
}, 120_000);

afterAll(async () => {
  if (project) expect(await project.cleanup()).toEqual([]);
  if (queued) expect(await queued.cleanup()).toEqual([]);
}, 240_000);

test("stop during runall ends db's start: QEMU stopped, lock released, db stopped, web not started", async () => {
  const runall = Bun.spawn(["bun", CLI, "runall", "-n"], {
    cwd: project.projectDir,
    env: { ...process.env, NO_COLOR: "1" },
    stdout: "pipe",
    stderr: "pipe",
    timeout: 150_000,
  });
  const stderr = new Response(runall.stderr).text();
  // db's QEMU runs and its start goes on (it waits for its check).
  expect(
    await waitUntil(() => {
      const state = project.stateFile("db");
      return typeof state?.pid === "number" && state.readiness === "booted";
    }, 90_000),
  ).toBe(true);
  const state = project.stateFile("db") as { pid: number; processStartTicks: string };

  const stop = await project.cli(["stop", "db"]);
  expect(stop.exitCode).toBe(0);
  expect(stop.stderr).not.toContain("another nohead command");
  // Its QEMU ran: the report says how the start's worker stopped it.
  expect(stop.stdout).toMatch(/^■ db: stopped by (powerdown|quit|sigterm|sigkill) in \d+\.\ds$/m);

  expect(await runall.exited).toBe(1);
  const said = await stderr;
  expect(said).toContain("db: stopped while it was starting (a stop was asked for)");
  expect(said).toContain("web: not started: db was stopped while starting");
  expect(said).toMatch(/■ 0\/2 ready, 2 stopped while starting \(db, web\) in/);
  expect(said).not.toContain("failed");

  expect(isSameProcessAlive(state.pid, state.processStartTicks)).toBe(false);
  expect(existsSync(join(project.vmDir("db"), "lock"))).toBe(false);
  const [db, web] = [await project.statusOf("db"), await project.statusOf("web")];
  expect([db.condition, db.readiness]).toEqual(["stopped", "stopped"]);
  expect(web.condition).toBe("not-started");
}, 200_000);

test("stop of a machine queued behind its dependency (no state yet) ends its start: it never launches", async () => {
  const runall = Bun.spawn(["bun", CLI, "runall", "-n"], {
    cwd: queued.projectDir,
    env: { ...process.env, NO_COLOR: "1" },
    stdout: "pipe",
    stderr: "pipe",
    timeout: 150_000,
  });
  const stderr = new Response(runall.stderr).text();
  expect(await waitUntil(() => queued.stateFile("db")?.readiness === "booted", 90_000)).toBe(true);
  expect(existsSync(queued.vmDir("web"))).toBe(false);

  // Before the fix this answered "was not running" without asking the supervisor, and web started
  // once db got ready.
  const stop = await queued.cli(["stop", "web"]);
  expect(stop.exitCode).toBe(0);
  expect(stop.stdout).toContain("■ web: was not running");

  expect(await runall.exited).toBe(1);
  const said = await stderr;
  expect(said).toContain("web: stopped while it was starting (a stop was asked for)");
  expect(said).toMatch(/■ 1\/2 ready, 1 stopped while starting \(web\) in/);
  expect((await queued.statusOf("db")).condition).toBe("running");
  expect((await queued.statusOf("web")).condition).toBe("not-started");
  expect(existsSync(queued.vmDir("web"))).toBe(false);
}, 200_000);
