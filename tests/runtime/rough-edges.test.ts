/**
 * Rough edges met in a new user's first hour, with real fixture VMs: a failed health check says
 * which check, what it ran and what it got; --keep-failed keeps the VM; -w without a display says
 * where the VNC fallback is; exec of a missing command exits 127 and a timeout is told in seconds;
 * restart --json prints only JSON; logs -f ends when the VM stops.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { CLI } from "../support/run-cli.ts";
import { makeRuntimeProject, type RuntimeProject, TEST_DEADLINES } from "../support/runtime-project.ts";

let project: RuntimeProject;
const SLOW = 200_000;

beforeAll(async () => {
  project = await makeRuntimeProject(`{ ... }: {
    bad = { health.command = "echo no such service >&2; exit 3"; health.deadlines = { started = 30; booted = 90; ready = 6; }; };
    good = { ${TEST_DEADLINES} };
  }`);
}, 60_000);

afterAll(async () => {
  if (project) expect(await project.cleanup()).toEqual([]);
}, 120_000);

describe("a failed health check", () => {
  test(
    "says which check, what it ran and what it got, in a sentence; the VM is stopped",
    async () => {
      const run = await project.cli(["run", "bad", "-n"]);
      expect(run.exitCode).toBe(1);
      expect(run.stderr).toContain(
        "bad: not ready after 6 s: the command check ran `echo no such service >&2; exit 3` in the guest and got exit 3: no such service",
      );
      expect((await project.statusOf("bad")).condition).toBe("failed");
    },
    SLOW,
  );

  test(
    "--keep-failed leaves the VM running to debug it, and says how to stop it",
    async () => {
      const run = await project.cli(["run", "bad", "-n", "--keep-failed"]);
      expect(run.exitCode).toBe(1);
      expect(run.stderr).toContain("kept running for debugging (--keep-failed)");
      expect(run.stderr).toContain("`nohead stop bad`");
      const status = await project.statusOf("bad");
      expect([status.condition, status.readiness]).toEqual(["running", "failed"]);
      const exec = await project.cli(["exec", "bad", "--", "echo", "inside"]);
      expect(exec.stdout).toBe("inside\n");
      expect((await project.cli(["stop", "bad"])).exitCode).toBe(0);
    },
    SLOW,
  );
});

describe("a running VM", () => {
  test(
    "-w without a display says QEMU fell back to VNC and where",
    async () => {
      const run = await project.cli(["run", "good", "-w"], { env: { DISPLAY: "", WAYLAND_DISPLAY: "" } });
      expect(run.exitCode).toBe(0);
      expect(run.stderr).toMatch(
        /warning: good: no window could open here \(no display\): QEMU fell back to VNC on 127\.0\.0\.1:59\d\d; connect a VNC viewer there/,
      );
    },
    SLOW,
  );

  test("exec of a command that does not exist exits 127 with one line", async () => {
    const exec = await project.cli(["exec", "good", "--", "no-such-command", "x"]);
    expect(exec.exitCode).toBe(127);
    expect(exec.stdout).toBe("");
    expect(exec.stderr).toBe("no-such-command: command not found\n");
  });

  test("exec streams output as it comes, keeps stdout and stderr apart, and leaves nothing in the guest", async () => {
    const child = Bun.spawn(
      ["bun", CLI, "exec", "good", "--", "sh", "-c", "echo first; echo oops >&2; sleep 4; echo second"],
      { cwd: project.projectDir, env: { ...process.env, NO_COLOR: "1" }, stdout: "pipe", stderr: "pipe" },
    );
    const reader = child.stdout.getReader();
    const first = await reader.read();
    const seenAt = performance.now();
    expect(new TextDecoder().decode(first.value)).toBe("first\n");
    let rest = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      rest += new TextDecoder().decode(value);
    }
    expect(await child.exited).toBe(0);
    // "first" came while the command still ran: the rest took the sleep's time after it.
    expect(performance.now() - seenAt).toBeGreaterThan(3000);
    expect(rest).toBe("second\n");
    expect(await new Response(child.stderr).text()).toBe("oops\n");
    const left = await project.cli(["exec", "good", "--", "sh", "-c", "ls -d /tmp/nohead-exec.* | wc -l"]);
    expect(left.stdout.trim()).toBe("1");
  }, 60_000);

  test("exec past --timeout says so in seconds and exits 124", async () => {
    const exec = await project.cli(["exec", "good", "--timeout", "1", "--", "sleep", "5"]);
    expect(exec.exitCode).toBe(124);
    expect(exec.stderr).toMatch(
      /^error: good: `sleep 5` did not finish within 1 s \(--timeout 1\); it still runs/,
    );
    expect(exec.stderr).not.toContain("ms");
  });

  test(
    "restart --json prints only JSON on stdout",
    async () => {
      const restart = await project.cli(["restart", "good", "-n", "--json"]);
      expect(restart.exitCode).toBe(0);
      const parsed = JSON.parse(restart.stdout) as { machines: { machine: string; ok: boolean }[] };
      expect(parsed.machines.map((m) => [m.machine, m.ok])).toEqual([["good", true]]);
      expect(restart.stderr).toContain("good: stopped by");
    },
    SLOW,
  );

  test(
    "logs -f ends when the VM stops",
    async () => {
      const logs = Bun.spawn(["bun", CLI, "logs", "good", "-f", "-n", "5"], {
        cwd: project.projectDir,
        env: { ...process.env, NO_COLOR: "1" },
        stdout: "pipe",
        stderr: "pipe",
      });
      await Bun.sleep(1500);
      expect((await project.cli(["stop", "good"])).exitCode).toBe(0);
      const ended = await Promise.race([logs.exited, Bun.sleep(10_000).then(() => "still following")]);
      if (ended === "still following") logs.kill();
      expect(ended).toBe(0);
      const out = await new Response(logs.stdout).text();
      expect(out.length).toBeGreaterThan(0);
      expect(out).not.toContain("\x1b");
    },
    SLOW,
  );
});
