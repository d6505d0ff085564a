/**
 * A VM's life under a supervising fleet, with real QEMU fixture VMs: a supervising process is
 * SIGKILLed and its VMs run on; a new Fleet adopts them and resumes their health checks without
 * restarting them; a VM goes unhealthy within two intervals when its guest's sshd is killed and
 * healthy again when sshd returns; `restart = "on-failure"` restarts a SIGKILLed QEMU and
 * `"no"` does not; a stop by a command is never restarted; a guest that powers itself off is
 * restarted by `"always"` only. Slow: two VMs, ~2–3 minutes on 2 cores.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { FleetEvent } from "@nohead/schema";
import { Fleet } from "@nohead/supervisor";
import { REPO_ROOT } from "../support/run-cli.ts";
import {
  makeRuntimeProject,
  type RuntimeProject,
  TEST_DEADLINES,
  waitUntil,
} from "../support/runtime-project.ts";

const INTERVAL_S = 2;
const WATCH = `health.interval = ${INTERVAL_S}; health.timeout = 2; health.retries = 1; ${TEST_DEADLINES}`;
const CONFIGS = `{ ... }: {
  keeper = { restart = "on-failure"; ${WATCH} };
  loner = { ${WATCH} };
}`;
const SLOW = 240_000;
// Its output goes elsewhere: the guest agent waits for the output pipes to close.
const DROPBEAR = "dropbear -r /etc/dropbear/dropbear_ed25519_host_key -p 22 -s -E </dev/null >/dev/null 2>&1";

let project: RuntimeProject;
let fleet: Fleet;
const events: FleetEvent[] = [];
/** Events heard through another Fleet object of the same project in this process. */
const heardElsewhere: FleetEvent[] = [];

/**
 * Resolves with the first event at index `from` or later (default: from now on) that matches, or
 * throws after `timeoutMs`.
 */
async function nextEvent(
  match: (e: FleetEvent) => boolean,
  timeoutMs: number,
  from = events.length,
): Promise<FleetEvent> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const found = events.slice(from).find(match);
    if (found) return found;
    if (performance.now() > deadline) {
      throw new Error(`no matching event in ${timeoutMs} ms; saw ${JSON.stringify(events.slice(from))}`);
    }
    await Bun.sleep(50);
  }
}

/** SIGKILLs the VM process `pid` (never 0 or less: that would signal a process group). */
function killVm(pid: number | null | undefined): void {
  if (!pid || pid <= 0) throw new Error(`no pid to kill (${pid})`);
  process.kill(pid, "SIGKILL");
}

beforeAll(async () => {
  project = await makeRuntimeProject(CONFIGS);
}, 60_000);

afterAll(async () => {
  await fleet?.stop();
  await fleet?.close();
  if (project) expect(await project.cleanup()).toEqual([]);
}, 120_000);

describe("a supervising fleet's VMs", () => {
  test(
    "outlive their supervisor's SIGKILL and are adopted by a new fleet without a restart",
    async () => {
      const supervisor = Bun.spawn(
        ["bun", join(REPO_ROOT, "tests/support/supervising-process.ts"), project.projectDir],
        {
          cwd: REPO_ROOT,
          stdout: "pipe",
          stderr: "inherit",
        },
      );
      let line = "";
      for await (const chunk of supervisor.stdout) {
        line += new TextDecoder().decode(chunk);
        if (line.includes("\n")) break;
      }
      const results = JSON.parse(line) as { machine: string; ok: boolean }[];
      expect(results.map((r) => [r.machine, r.ok])).toEqual([
        ["keeper", true],
        ["loner", true],
      ]);
      const before = await project.status();
      for (const s of before) {
        expect(s.condition).toBe("running");
        expect(s.watcherPid).toBe(supervisor.pid);
        expect(s.healthStatus).toBe("healthy");
        expect(s.healthy).toBe(true);
      }
      // The watcher keeps checking: lastHealthCheck moves on after ready.
      const firstCheck = before[0]?.lastHealthCheck;
      expect(
        await waitUntil(() => project.stateFile("keeper")?.lastHealthCheck !== firstCheck, INTERVAL_S * 3000),
      ).toBe(true);

      supervisor.kill("SIGKILL");
      await supervisor.exited;
      const orphaned = await project.status();
      for (const s of orphaned) {
        expect(s.condition).toBe("running");
        expect(s.pid).toBe(before.find((b) => b.name === s.name)?.pid ?? -1);
        // No live process watches it: its health is unknown, not stale "healthy".
        expect(s.watcherPid).toBeNull();
        expect(s.healthy).toBeNull();
      }

      fleet = Fleet.open({ cwd: project.projectDir, supervise: true });
      fleet.subscribe((e) => events.push(e));
      Fleet.open({ cwd: project.projectDir }).subscribe((e) => heardElsewhere.push(e));
      const adopted = await fleet.adopt();
      expect(adopted).toEqual([
        { machine: "keeper", adopted: true, reason: null },
        { machine: "loner", adopted: true, reason: null },
      ]);
      expect(fleet.watching()).toEqual(["keeper", "loner"]);
      // A second adoption (another fleet, or this one again) leaves them to their watcher.
      expect((await fleet.adopt(["keeper"]))[0]?.reason).toBe("already watched in this process");

      const checkedAt = project.stateFile("keeper")?.lastHealthCheck;
      expect(
        await waitUntil(() => project.stateFile("keeper")?.lastHealthCheck !== checkedAt, INTERVAL_S * 3000),
      ).toBe(true);
      for (const s of await project.status()) {
        expect(s.pid).toBe(before.find((b) => b.name === s.name)?.pid ?? -1);
        expect(s.watcherPid).toBe(process.pid);
        expect(s.healthy).toBe(true);
        expect(s.restarts).toBe(0);
      }
    },
    SLOW,
  );

  test(
    "go unhealthy within two intervals when sshd is killed in the guest, and healthy again when it returns",
    async () => {
      const killed = performance.now();
      const kill = await fleet.exec("loner", [
        "/bin/sh",
        "-c",
        // killall fails when a connection's child it listed ends first (the health checks connect
        // every second): what counts is that no dropbear runs afterwards.
        "killall dropbear; sleep 0.5; ! busybox pidof dropbear",
      ]);
      expect(kill.exitCode).toBe(0);
      const unhealthy = await nextEvent((e) => e.type === "unhealthy" && e.machine === "loner", 30_000);
      const tookS = (performance.now() - killed) / 1000;
      // Two intervals, plus the timeout of the check that notices.
      expect(tookS).toBeLessThanOrEqual(2 * INTERVAL_S + 2 + 1);
      expect(unhealthy.reason).toStartWith("ssh: ");
      const status = fleet.status(["loner"])[0];
      expect(status?.healthStatus).toBe("unhealthy");
      expect(status?.healthy).toBe(false);
      expect(status?.condition).toBe("running");
      expect(status?.health.find((h) => h.check === "ssh")).toMatchObject({ ok: false });
      expect(status?.lastHealthCheck).not.toBeNull();

      const restarted = await fleet.exec("loner", ["/bin/sh", "-c", DROPBEAR]);
      expect(restarted.exitCode).toBe(0);
      const healthy = await nextEvent((e) => e.type === "healthy" && e.machine === "loner", 30_000);
      expect(healthy.reason).toBeNull();
      expect(fleet.status(["loner"])[0]?.healthy).toBe(true);
      // An unhealthy VM is reported, never restarted.
      expect(events.some((e) => e.type === "restart" || e.type === "crash")).toBe(false);
    },
    SLOW,
  );

  test(
    'restart = "on-failure" starts a SIGKILLed QEMU again; "no" leaves it crashed',
    async () => {
      const [keeper, loner] = fleet.status(["keeper", "loner"]);
      const mark = events.length;
      killVm(keeper?.pid);
      killVm(loner?.pid);

      const lonerCrash = await nextEvent((e) => e.type === "crash" && e.machine === "loner", 15_000, mark);
      expect(lonerCrash).toMatchObject({ willRestart: false, pid: loner?.pid });
      expect(lonerCrash.reason).toBe("QEMU exited without shutting down (killed or crashed)");
      const keeperCrash = await nextEvent((e) => e.type === "crash" && e.machine === "keeper", 15_000, mark);
      expect(keeperCrash).toMatchObject({ willRestart: true, pid: keeper?.pid });

      const ready = await nextEvent((e) => e.type === "ready" && e.machine === "keeper", 150_000, mark);
      const after = fleet.status(["keeper", "loner"]);
      expect(after[0]).toMatchObject({
        condition: "running",
        readiness: "ready",
        restarts: 1,
        healthy: true,
      });
      expect(after[0]?.pid).not.toBe(keeper?.pid);
      expect(ready).toMatchObject({ pid: after[0]?.pid });
      await nextEvent((e) => e.type === "healthy" && e.machine === "keeper", 10_000, mark);
      const restart = events.find((e) => e.type === "restart" && e.machine === "keeper");
      expect(restart).toMatchObject({ attempt: 1, delayMs: 1000 });
      // The order of what happened to keeper.
      const order = events
        .filter(
          (e) => e.machine === "keeper" && events.indexOf(e) >= events.indexOf(keeperCrash as FleetEvent),
        )
        .map((e) => e.type);
      expect(order).toEqual(["crash", "restart", "start", "ready", "healthy"]);

      expect(after[1]).toMatchObject({ condition: "crashed", pid: null, healthy: null });
      expect(after[1]?.error).toContain("QEMU exited without shutting down");
      expect(fleet.watching()).toEqual(["keeper"]);
      expect(project.processes().filter((p) => p.includes(String(loner?.pid)))).toEqual([]);
      // Any Fleet object of the project in this process hears its VMs' events.
      expect(
        heardElsewhere
          .filter((e) => e.type === "crash")
          .map((e) => e.machine)
          .sort(),
      ).toEqual(["keeper", "loner"]);
    },
    SLOW,
  );

  test(
    "a stop by a command is not restarted, whatever the policy: during a restart's backoff, or running",
    async () => {
      // Killed: its watcher waits 1 s before the restart; stopall (no names) stops it meanwhile.
      const [keeper] = fleet.status(["keeper"]);
      const mark = events.length;
      killVm(keeper?.pid);
      await nextEvent((e) => e.type === "crash" && e.machine === "keeper", 15_000, mark);
      const reports = await fleet.stop();
      expect(reports.map((r) => [r.machine, r.ok, r.method])).toEqual([["keeper", true, "already-stopped"]]);
      await Bun.sleep(3000); // longer than the backoff
      expect(fleet.status(["keeper"])[0]).toMatchObject({
        condition: "stopped",
        pid: null,
        watcherPid: null,
      });
      expect(events.filter((e) => e.type === "restart")).toHaveLength(1);
      expect(fleet.watching()).toEqual([]);

      // Started again (watched), then stopped while running: powered down, not restarted.
      const [started] = await fleet.start(["keeper"]);
      expect(started).toMatchObject({ ok: true, readiness: "ready" });
      expect(fleet.watching()).toEqual(["keeper"]);
      const [report] = await fleet.stop(["keeper"]);
      expect(report).toMatchObject({ machine: "keeper", ok: true });
      expect(report?.method).toMatch(/^(powerdown|quit)$/);
      const stop = events.findLast((e) => e.type === "stop" && e.machine === "keeper");
      expect(stop).toMatchObject({ type: "stop", reason: "stopped by a command", method: report?.method });
      await Bun.sleep(3000);
      expect(fleet.status(["keeper"])[0]).toMatchObject({
        condition: "stopped",
        pid: null,
        watcherPid: null,
      });
      expect(fleet.watching()).toEqual([]);
      expect(events.filter((e) => e.type === "restart")).toHaveLength(1);
    },
    SLOW,
  );
  test(
    "a guest that powers itself off: on-failure leaves it stopped, always starts it again",
    async () => {
      /** Powers the guest off from inside (the guest agent may go away before it answers). */
      const powerOff = () =>
        fleet.exec("keeper", ["/bin/sh", "-c", "poweroff -f"], { timeoutMs: 5000 }).catch(() => null);

      const [first] = await fleet.start(["keeper"]);
      expect(first).toMatchObject({ ok: true });
      let mark = events.length;
      await powerOff();
      const stop = await nextEvent((e) => e.type === "stop" && e.machine === "keeper", 30_000, mark);
      expect(stop).toMatchObject({ reason: "the guest powered off", method: "guest-shutdown" });
      await Bun.sleep(3000); // longer than the first restart's backoff
      expect(events.slice(mark).some((e) => e.type === "crash" || e.type === "restart")).toBe(false);
      expect(fleet.status(["keeper"])[0]).toMatchObject({
        condition: "stopped",
        stoppedBy: "guest-shutdown",
      });

      const [second] = await fleet.start(["keeper"], { restart: "always" });
      expect(second).toMatchObject({ ok: true });
      mark = events.length;
      await powerOff();
      const restart = await nextEvent((e) => e.type === "restart" && e.machine === "keeper", 30_000, mark);
      expect(restart).toMatchObject({ attempt: 1, reason: "the guest powered off" });
      await nextEvent((e) => e.type === "ready" && e.machine === "keeper", 150_000, mark);
      expect(fleet.status(["keeper"])[0]).toMatchObject({ condition: "running", restarts: 1 });
      const [report] = await fleet.stop(["keeper"]);
      expect(report).toMatchObject({ ok: true });
    },
    SLOW,
  );
});
