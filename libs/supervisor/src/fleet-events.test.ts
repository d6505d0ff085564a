/** Events read from successive statuses: what each change of a VM's status tells, in order. */
import { describe, expect, test } from "bun:test";
import { eventsBetween, FleetEvents } from "./fleet-events.ts";
import { notStartedStatus, type VmStatus } from "./status-from-state.ts";

const AT = "2026-11-29T12:00:00.000Z";
const ssh = { check: "ssh", ok: true, detail: "SSH-2.0-dropbear" };

function running(pid: number, over: Partial<VmStatus> = {}): VmStatus {
  return {
    ...notStartedStatus("web"),
    condition: "running",
    readiness: "ready",
    pid,
    uptimeSeconds: 1,
    health: [ssh],
    healthy: true,
    ...over,
  };
}

const types = (before: VmStatus | undefined, after: VmStatus) =>
  eventsBetween(before, after, AT).map((e) => [e.type, e.pid, e.detail]);

describe("eventsBetween", () => {
  test("a VM seen running and ready for the first time started, got ready and healthy", () => {
    expect(types(notStartedStatus("web"), running(7))).toEqual([
      ["start", 7, null],
      ["ready", 7, null],
      ["healthy", 7, null],
    ]);
  });

  test("the same process climbing to ready tells only what changed", () => {
    const booting = running(7, { readiness: "booted", healthy: null });
    expect(types(booting, running(7))).toEqual([
      ["ready", 7, null],
      ["healthy", 7, null],
    ]);
    expect(types(running(7), running(7))).toEqual([]);
  });

  test("failing checks are unhealthy with the failing check, passing again healthy", () => {
    const failing = running(7, {
      healthy: false,
      health: [{ check: "tcp:80", ok: false, detail: "refused" }],
    });
    expect(types(running(7), failing)).toEqual([["unhealthy", 7, "tcp:80: refused"]]);
    expect(types(failing, running(7))).toEqual([["healthy", 7, null]]);
  });

  test("a stop, a crash and a failed start name the process that ended", () => {
    const stopped = { ...notStartedStatus("web"), condition: "stopped" as const, stoppedBy: "powerdown" };
    expect(types(running(7), stopped)).toEqual([["stop", 7, "stopped by powerdown"]]);
    const crashed = { ...notStartedStatus("web", "QEMU (pid 7) is gone"), condition: "crashed" as const };
    expect(types(running(7), crashed)).toEqual([["crash", 7, "QEMU (pid 7) is gone"]]);
    expect(types(crashed, crashed)).toEqual([]);
    const failed = { ...notStartedStatus("web", "sshd never answered"), condition: "failed" as const };
    expect(types(notStartedStatus("web"), failed)).toEqual([["failed", null, "sshd never answered"]]);
  });

  test("a new process between two looks is the old one's stop, then a start", () => {
    expect(types(running(7), running(9)).map(([type, pid]) => [type, pid])).toEqual([
      ["stop", 7],
      ["start", 9],
      ["ready", 9],
      ["healthy", 9],
    ]);
  });
});

describe("FleetEvents", () => {
  test("polls only while someone listens; the first look is the baseline", async () => {
    let now: VmStatus[] = [running(7)];
    let looks = 0;
    const events = new FleetEvents(() => {
      looks++;
      return now;
    }, 20);
    const heard: string[] = [];
    const stop = events.subscribe((e) => heard.push(`${e.type} ${e.pid}`));
    await Bun.sleep(60);
    expect(heard).toEqual([]); // already running: nothing happened since
    now = [{ ...notStartedStatus("web"), condition: "stopped", stoppedBy: "quit" }];
    await Bun.sleep(60);
    events.publish({ type: "restart", machine: "web", at: AT, pid: null, detail: "on-failure" });
    stop();
    const seen = looks;
    await Bun.sleep(60);
    expect(looks).toBe(seen);
    expect(heard).toEqual(["stop 7", "restart null"]);
  });
});

describe("FleetEvents and a stop being recorded", () => {
  test("a process gone without a stop record is a crash only if the next look says so too", async () => {
    const crashed = { ...notStartedStatus("web", "QEMU (pid 7) is gone"), condition: "crashed" as const };
    const stopped = { ...notStartedStatus("web"), condition: "stopped" as const, stoppedBy: "powerdown" };
    const looks = [[running(7)], [crashed], [stopped], [running(8)], [crashed], [crashed]];
    let i = 0;
    const events = new FleetEvents(() => looks[Math.min(i++, looks.length - 1)] as VmStatus[], 15);
    const heard: string[] = [];
    const stop = events.subscribe((e) => heard.push(`${e.type} ${e.pid}`));
    await Bun.sleep(150);
    stop();
    expect(heard).toEqual(["stop 7", "start 8", "ready 8", "healthy 8", "crash 8"]);
  });
});
