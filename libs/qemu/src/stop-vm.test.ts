import { describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { stopVm } from "./stop-vm.ts";

const alive = (pid: number) => () => {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ");
  } catch {
    return false;
  }
};

describe("stopVm escalation (a process without QMP)", () => {
  test("a process that honours SIGTERM ends by sigterm", async () => {
    const child = spawn("sleep", ["60"], { stdio: "ignore" });
    const result = await stopVm(
      { pid: child.pid ?? 0, qmpSocket: "/nonexistent/qmp", isAlive: alive(child.pid ?? 0) },
      { stepMs: 2000 },
    );
    expect(result.method).toBe("sigterm");
  });

  test("a process that ignores SIGTERM ends by sigkill", async () => {
    const child = spawn("sh", ["-c", "trap '' TERM; sleep 60 & wait; sleep 60"], { stdio: "ignore" });
    await Bun.sleep(100);
    const result = await stopVm(
      { pid: child.pid ?? 0, qmpSocket: "/nonexistent/qmp", isAlive: alive(child.pid ?? 0) },
      { stepMs: 300 },
    );
    expect(result.method).toBe("sigkill");
    expect(result.durationMs).toBeGreaterThanOrEqual(300);
  });

  test("a process already gone is reported as such", async () => {
    expect((await stopVm({ pid: 1 << 22, qmpSocket: "/nonexistent/qmp", isAlive: () => false })).method).toBe(
      "already-stopped",
    );
  });
});
