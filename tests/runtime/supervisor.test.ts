/**
 * The project's supervisor through the real CLI and real QEMU (fixture VMs under TCG): runall is
 * idempotent like `compose up` (running VMs keep their pids, missing ones start, outdated ones are
 * reported and recreated only when asked), the supervisor's socket is private, killing it stops no
 * VM and the next command re-adopts them, `nohead events` streams what happens in order, a host
 * gone from the hosts file is a clear error, and the supervisor ends once no VM runs. The tests
 * run in order on one project (two VMs, ~1–2 minutes on 2 cores).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { SupervisorRecord, VmEvent } from "@nohead/schema";
import { isSameProcessAlive } from "@nohead/supervisor";
import { CLI } from "../support/run-cli.ts";
import {
  makeRuntimeProject,
  type RuntimeProject,
  TEST_DEADLINES,
  waitUntil,
} from "../support/runtime-project.ts";

const CONFIGS = `{ ... }: {
  db = { ${TEST_DEADLINES} };
  web = { dependsOn = [ "db" ]; ${TEST_DEADLINES} };
}`;
const SLOW = 240_000;

let project: RuntimeProject;

beforeAll(async () => {
  project = await makeRuntimeProject(CONFIGS);
}, 60_000);

afterAll(async () => {
  if (!project) return;
  expect(await project.cleanup()).toEqual([]);
}, SLOW);

const supervisorFile = () => join(project.projectDir, ".nohead", "supervisor.json");
const record = (): SupervisorRecord => JSON.parse(readFileSync(supervisorFile(), "utf8")) as SupervisorRecord;
const pids = async () => Object.fromEntries((await project.status()).map((s) => [s.name, s.pid]));

describe("runall, like compose up", () => {
  test(
    "starts everything, dependencies first, then leaves running VMs alone and starts what is missing",
    async () => {
      const first = await project.cli(["runall", "-n"]);
      expect(first.exitCode).toBe(0);
      const started = await pids();
      expect(started.db).toBeGreaterThan(0);
      expect(started.web).toBeGreaterThan(0);

      const again = await project.cli(["runall", "-n"]);
      expect(again.exitCode).toBe(0);
      expect(again.stderr).toMatch(/^db\s+ready\s.*already running$/m);
      expect(again.stderr).toMatch(/^web\s+ready\s.*already running$/m);
      expect(again.stderr).not.toContain("✖");
      expect(await pids()).toEqual(started);

      expect((await project.cli(["stop", "web"])).exitCode).toBe(0);
      const afterStop = await project.cli(["runall", "-n", "--json"]);
      expect(afterStop.exitCode).toBe(0);
      const results = (
        JSON.parse(afterStop.stdout) as { machines: { machine: string; alreadyRunning: boolean }[] }
      ).machines;
      expect(results.map((r) => [r.machine, r.alreadyRunning])).toEqual([
        ["db", true],
        ["web", false],
      ]);
      const now = await pids();
      expect(now.db).toBe(started.db);
      expect(now.web).toBeGreaterThan(0);
      expect(now.web).not.toBe(started.web);
      expect((await project.statusOf("web")).readiness).toBe("ready");
    },
    SLOW,
  );

  test(
    "a running VM whose system changed is reported outdated with the command that recreates it",
    async () => {
      const before = await pids();
      // A rebuild that changed web's system (the new path exists, as a store path would).
      const manifestFile = join(project.resultDir, "nohead-manifest.json");
      const manifest = JSON.parse(readFileSync(manifestFile, "utf8"));
      const web = manifest.machines.find((m: { name: string }) => m.name === "web");
      web.system = dirname(web.system);
      writeFileSync(manifestFile, JSON.stringify(manifest, null, 2));

      const reported = await project.cli(["runall", "-n"]);
      expect(reported.exitCode).toBe(0);
      expect(reported.stderr).toContain("nohead run web --recreate");
      expect(await pids()).toEqual(before);

      const recreated = await project.cli(["run", "web", "-n", "--recreate"]);
      expect(recreated.exitCode).toBe(0);
      const after = await pids();
      expect(after.db).toBe(before.db);
      expect(after.web).not.toBe(before.web);
      expect(project.stateFile("web")?.system).toBe(web.system);
    },
    SLOW,
  );
});

describe("the supervisor", () => {
  test("listens on a socket only its owner can use: mode 0600 in a 0700 directory", () => {
    const { pid, socket } = record();
    expect(isSameProcessAlive(pid, record().processStartTicks)).toBe(true);
    expect(statSync(socket).isSocket()).toBe(true);
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(socket)).mode & 0o777).toBe(0o700);
  });

  test(
    "killed with SIGKILL, it stops no VM, and the next status shows them re-adopted by a new one",
    async () => {
      const before = await project.status();
      const old = record();
      process.kill(old.pid, "SIGKILL");
      expect(await waitUntil(() => !isSameProcessAlive(old.pid, old.processStartTicks), 5000)).toBe(true);
      const vmPids = before.map((s) => s.pid as number);
      expect(vmPids.every((pid) => isSameProcessAlive(pid, null))).toBe(true);

      const status = await project.cli(["status", "--json"]);
      expect(status.exitCode).toBe(0);
      const { supervisor, machines } = JSON.parse(status.stdout) as {
        supervisor: { pid: number };
        machines: {
          name: string;
          condition: string;
          pid: number;
          healthy: boolean | null;
          lastHealthCheck: string;
          watcherPid: number | null;
        }[];
      };
      expect(supervisor.pid).not.toBe(old.pid);
      expect<unknown[]>(machines.map((m) => [m.name, m.condition, m.pid])).toEqual(
        before.map((s) => [s.name, "running", s.pid]),
      );
      // The new supervisor adopts them (its workers watch them) and their health checks resume.
      let watched = machines;
      const adopted = await waitUntil(async () => {
        const again = await project.cli(["status", "--json"]);
        watched = JSON.parse(again.stdout).machines;
        return watched.every((m) => m.watcherPid === supervisor.pid && m.healthy === true);
      }, 60_000);
      expect(watched.map((m) => [m.name, m.watcherPid, m.healthy])).toEqual(
        before.map((s) => [s.name, supervisor.pid, true]),
      );
      expect(adopted).toBe(true);
      for (const m of watched) expect(Date.parse(m.lastHealthCheck)).toBeGreaterThan(0);
      const log = join(project.projectDir, ".nohead", "supervisor.log");
      expect(
        await waitUntil(
          () => readFileSync(log, "utf8").includes(`(pid ${supervisor.pid}); re-adopted db, web`),
          15_000,
        ),
      ).toBe(true);
      expect(record().pid).toBe(supervisor.pid);
      expect((await project.cli(["exec", "web", "--", "true"])).exitCode).toBe(0);
    },
    SLOW,
  );

  test(
    "nohead events streams a stop and a start in the order they happen",
    async () => {
      const child = Bun.spawn(["bun", CLI, "events", "--json"], {
        cwd: project.projectDir,
        env: { ...process.env, NO_COLOR: "1" },
        stdout: "pipe",
        stderr: "pipe",
      });
      try {
        await Bun.sleep(2000); // connected, and the stream's first look taken
        expect((await project.cli(["stop", "web"])).exitCode).toBe(0);
        await Bun.sleep(1500);
        expect((await project.cli(["run", "web", "-n"])).exitCode).toBe(0);
        await Bun.sleep(1500);
      } finally {
        child.kill("SIGINT");
      }
      expect(await child.exited).toBe(0);
      const events = (await new Response(child.stdout).text())
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as VmEvent & { host: string });
      const web = events.filter((e) => e.machine === "web");
      expect(web.map((e) => e.type)).toEqual(["stop", "start", "ready", "healthy"]);
      expect(web.every((e) => e.host === "local")).toBe(true);
      expect(web[1]?.pid).toBe((await project.statusOf("web")).pid);
      expect(events.filter((e) => e.machine === "db")).toEqual([]);
    },
    SLOW,
  );

  test(
    "ends by itself once the project has no running VM",
    async () => {
      const { pid, processStartTicks, socket } = record();
      expect((await project.cli(["stopall"])).exitCode).toBe(0);
      expect(await waitUntil(() => !isSameProcessAlive(pid, processStartTicks), 15_000)).toBe(true);
      expect(existsSync(supervisorFile())).toBe(false);
      expect(existsSync(socket)).toBe(false);
      const status = await project.cli(["status", "--json"]);
      expect(JSON.parse(status.stdout).supervisor).toBeNull();
    },
    SLOW,
  );
});

describe("a host gone from the hosts file", () => {
  test("is a clear error naming the machines recorded there, with exit code 3, never a local start", async () => {
    const placement = join(project.projectDir, ".nohead", "placement.json");
    writeFileSync(placement, JSON.stringify({ web: "lab" }));
    try {
      for (const args of [
        ["stop", "web"],
        ["run", "web", "-n"],
        ["exec", "web", "--", "true"],
      ]) {
        const { exitCode, stderr } = await project.cli(args);
        expect(exitCode).toBe(3);
        expect(stderr).toContain(
          "error: host lab is not in the hosts file any more, but web is recorded as running there",
        );
        expect(stderr).toContain(`release it by deleting its entry from ${placement}`);
        expect(stderr).not.toContain("nohead bug");
      }
      expect((await project.statusOf("web")).condition).toBe("not-started");
      expect(project.stateFile("web")?.readiness).toBe("stopped");
    } finally {
      writeFileSync(placement, "{}");
    }
  });
});
