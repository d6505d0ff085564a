/**
 * A fleet's life through the real CLI and real QEMU (fixture VMs under TCG): runall waits for
 * readiness, list/ssh/exec/logs reach the VMs, the private network resolves names, stopall
 * leaves nothing running, run/restart/destroy act on one VM, and the Fleet API does the same
 * in-process. The tests run in order on one project. Slow: three VMs, ~1–2 minutes on 2 cores.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { connect } from "node:net";
import { Fleet } from "@nohead/supervisor";
import { makeRuntimeProject, type RuntimeProject, TEST_DEADLINES } from "../support/runtime-project.ts";

const CONFIGS = `{ ... }: {
  db = { forwardPorts = [ { guestPort = 8080; } ]; health.tcp = [ 8080 ]; ${TEST_DEADLINES} };
  web = { count = 2; dependsOn = [ "db" ]; init.script = "echo hello from the init script"; ${TEST_DEADLINES} };
}`;
const NAMES = ["db", "web-1", "web-2"];
const SLOW = 240_000;

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

let project: RuntimeProject;

beforeAll(async () => {
  project = await makeRuntimeProject(CONFIGS);
}, 60_000);

afterAll(async () => {
  if (!project) return;
  const left = await project.cleanup();
  expect(left).toEqual([]);
}, 120_000);

describe("a fleet of three fixture VMs through the CLI", () => {
  test(
    "runall -n returns 0 once every VM is ready, with ports, health and init script in status",
    async () => {
      const run = await project.cli(["runall", "-n"]);
      expect(run.exitCode).toBe(0);
      for (const name of NAMES) expect(run.stderr).toMatch(new RegExp(`^${name}\\s+ready\\b`, "m"));
      expect(run.stderr).not.toContain("failed");

      const statuses = await project.status();
      expect(statuses.map((s) => s.name)).toEqual(NAMES);
      for (const s of statuses) {
        expect(s.condition).toBe("running");
        expect(s.readiness).toBe("ready");
        expect(s.pid).toBeGreaterThan(0);
        expect(s.uptimeSeconds).toBeGreaterThanOrEqual(0);
        expect(s.error).toBeNull();
        expect(s.stoppedBy).toBeNull();
        expect(s.username).toBe("nixy");
        expect(s.initScript).toBe("exited 0");
        const ssh = s.forwards.find((f) => f.name === "ssh");
        expect(ssh).toMatchObject({ protocol: "tcp", guestPort: 22, hostAddress: "127.0.0.1" });
        expect(ssh?.hostPort).toBeGreaterThan(1023);
        expect(await accepts(ssh?.hostPort ?? 0)).toBe(true);
        expect(s.health.every((h) => h.ok)).toBe(true);
        expect(s.health.find((h) => h.check === "ssh")?.detail).toStartWith("SSH-2.0-dropbear");
      }
      const [db, web1, web2] = statuses;
      const http = db?.forwards.find((f) => f.guestPort === 8080);
      expect(http).toMatchObject({ name: "tcp-8080", protocol: "tcp", hostAddress: "127.0.0.1" });
      expect(http?.hostPort).toBeGreaterThan(1023);
      expect(db?.forwards).toHaveLength(2);
      expect(db?.health.map((h) => h.check)).toEqual(["ssh", "tcp:8080"]);
      // The forward reaches the guest's httpd, which serves the machine's name.
      expect(await (await fetch(`http://127.0.0.1:${http?.hostPort}/`)).text()).toBe("db\n");
      for (const web of [web1, web2]) {
        expect(web?.forwards).toHaveLength(1);
        expect(web?.health.map((h) => h.check)).toEqual(["ssh", "init-script"]);
        expect(web?.health.find((h) => h.check === "init-script")?.detail).toBe("exited 0");
      }
      // Every VM has its own ports.
      const ports = statuses.flatMap((s) => s.forwards.map((f) => f.hostPort));
      expect(new Set(ports).size).toBe(ports.length);
    },
    SLOW,
  );

  test("list prints exactly the three running names", async () => {
    const list = await project.cli(["list"]);
    expect(list.exitCode).toBe(0);
    expect(list.stdout).toBe("db\nweb-1\nweb-2\n");
    expect(list.stderr).toBe("");
  });

  test(
    "ssh web-1 hostname runs through real OpenSSH with the project's key",
    async () => {
      const ssh = await project.cli(["ssh", "web-1", "hostname"]);
      expect(ssh.stderr).toBe("");
      expect(ssh.stdout).toBe("web-1\n");
      expect(ssh.exitCode).toBe(0);
    },
    SLOW,
  );

  test(
    "exec passes the guest command's exit code and output through",
    async () => {
      const failing = await project.cli(["exec", "web-2", "--", "/bin/sh", "-c", "exit 7"]);
      expect(failing.exitCode).toBe(7);
      expect(failing.stdout).toBe("");

      const hostname = await project.cli(["exec", "web-2", "--", "hostname"]);
      expect(hostname.exitCode).toBe(0);
      expect(hostname.stdout).toBe("web-2\n");
      expect(hostname.stderr).toBe("");

      const json = await project.cli([
        "exec",
        "web-1",
        "--json",
        "--",
        "/bin/sh",
        "-c",
        "echo out; echo err >&2",
      ]);
      expect(json.exitCode).toBe(0);
      expect(JSON.parse(json.stdout)).toEqual({
        exitCode: 0,
        signal: null,
        stdout: "out\n",
        stderr: "err\n",
      });
    },
    SLOW,
  );

  test(
    "the private network: web-1 pings db by name",
    async () => {
      const address = project.manifest.machines.find((m) => m.name === "db")?.network?.address;
      expect(address).toMatch(/^10\.\d+\.\d+\.\d+$/);
      const ping = await project.cli(["exec", "web-1", "--", "ping", "-c1", "-W3", "db"]);
      expect(ping.exitCode).toBe(0);
      expect(ping.stdout).toContain(`PING db (${address})`);
      expect(ping.stdout).toContain("1 packets transmitted, 1 packets received");
    },
    SLOW,
  );

  test("logs db shows the VM's console lines", async () => {
    const logs = await project.cli(["logs", "db", "-n", "200"]);
    expect(logs.exitCode).toBe(0);
    expect(logs.stdout).toContain("nohead-fixture: init started");
    expect(logs.stdout).toContain("nohead-fixture: booted name=db");
    expect(logs.stdout).not.toContain("name=web-1");
    // Cleaned of carriage returns and control codes.
    expect(logs.stdout).not.toContain("\r");
    expect(logs.stdout).not.toContain("\u001b");
  });

  test(
    "stopall exits 0, stops every VM by ACPI power-down and leaves no QEMU",
    async () => {
      const stop = await project.cli(["stopall"]);
      expect(stop.exitCode).toBe(0);
      for (const name of NAMES) expect(stop.stdout).toMatch(new RegExp(`${name}: stopped by powerdown in `));
      // The project's supervisor ends by itself a few seconds after the last VM (docs/runtime.md).
      expect(await project.lingering()).toEqual([]);
      const statuses = await project.status();
      expect(statuses.map((s) => [s.name, s.condition, s.pid, s.stoppedBy])).toEqual(
        NAMES.map((n) => [n, "stopped", null, "powerdown"]),
      );
      expect((await project.cli(["list"])).stdout).toBe("");
      const again = await project.cli(["stopall"]);
      expect(again.exitCode).toBe(0);
      expect(again.stdout).toBe("no running machines in this project\n");
    },
    SLOW,
  );

  test(
    "run web-1 starts it again, and db first because web-1 depends on it",
    async () => {
      const run = await project.cli(["run", "web-1", "-n"]);
      expect(run.exitCode).toBe(0);
      expect(run.stderr).toMatch(/^db\s+ready\b/m);
      expect(run.stderr).toMatch(/^web-1\s+ready\b/m);
      expect(run.stderr).not.toMatch(/^web-2\s/m);
      const statuses = await project.status();
      expect(statuses.map((s) => [s.name, s.condition, s.readiness])).toEqual([
        ["db", "running", "ready"],
        ["web-1", "running", "ready"],
        ["web-2", "stopped", "stopped"],
      ]);
      // The disk persisted across the stop: the fixture counts boots on it.
      const boots = await project.cli(["exec", "web-1", "--", "cat", "/run/nohead/boot-count"]);
      expect(boots.stdout).toBe("2\n");
    },
    SLOW,
  );

  test(
    "restart web-1 stops it gracefully and starts a new QEMU",
    async () => {
      const before = await project.statusOf("web-1");
      const dbBefore = await project.statusOf("db");
      const restart = await project.cli(["restart", "web-1", "-n"]);
      expect(restart.exitCode).toBe(0);
      expect(restart.stdout).toMatch(/web-1: stopped by powerdown in /);
      expect(restart.stderr).toMatch(/^web-1\s+ready\b/m);
      const after = await project.statusOf("web-1");
      expect(after.condition).toBe("running");
      expect(after.readiness).toBe("ready");
      expect(after.pid).not.toBe(before.pid);
      expect((await project.statusOf("db")).pid).toBe(dbBefore.pid);
      const boots = await project.cli(["exec", "web-1", "--", "cat", "/run/nohead/boot-count"]);
      expect(boots.stdout).toBe("3\n");
    },
    SLOW,
  );

  test(
    "destroy web-2 --yes stops it and deletes its state directory; it is known again only from the build",
    async () => {
      expect((await project.cli(["run", "web-2", "-n"])).exitCode).toBe(0);
      // QEMU's -name is the type's (one runner for web-1 and web-2): its disk tells the instance.
      const web2Qemu = (p: string) => p.includes(`${project.vmDir("web-2")}/disk.qcow2`);
      expect(project.processes().filter(web2Qemu)).toHaveLength(1);
      expect(existsSync(project.vmDir("web-2"))).toBe(true);
      const destroy = await project.cli(["destroy", "web-2", "--yes"]);
      expect(destroy.exitCode).toBe(0);
      expect(destroy.stdout).toBe("✔ web-2: destroyed\n");
      expect(existsSync(project.vmDir("web-2"))).toBe(false);
      expect(project.processes().filter(web2Qemu)).toEqual([]);
      const web2 = await project.statusOf("web-2");
      expect(web2.condition).toBe("not-started");
      expect(web2.readiness).toBeNull();
      // The others are untouched.
      expect((await project.statusOf("web-1")).condition).toBe("running");
    },
    SLOW,
  );

  test(
    "the Fleet API starts, execs in and stops a VM in-process",
    async () => {
      const fleet = Fleet.open({ cwd: project.projectDir });
      expect(fleet.names()).toEqual(NAMES);
      const seen: string[] = [];
      const [result] = await fleet.start(["web-2"], { onProgress: (p) => seen.push(p.readiness) });
      expect(result?.machine).toBe("web-2");
      expect(result?.error).toBeNull();
      expect(result?.ok).toBe(true);
      expect(result?.readiness).toBe("ready");
      expect(result?.pid).toBeGreaterThan(0);
      expect(result?.consoleTail).toEqual([]);
      expect(result?.forwards.map((f) => f.name)).toEqual(["ssh"]);
      expect(seen).toContain("started");
      expect(seen).toContain("booted");
      expect(seen.at(-1)).toBe("ready");
      // A destroyed VM starts on a new disk.
      expect(await fleet.exec("web-2", ["cat", "/run/nohead/boot-count"])).toEqual({
        exitCode: 0,
        signal: null,
        stdout: "1\n",
        stderr: "",
      });
      expect((await fleet.exec("web-2", ["/bin/sh", "-c", "echo oops >&2; exit 3"])).exitCode).toBe(3);
      expect(fleet.running()).toEqual(NAMES);

      const [stopped] = await fleet.stop(["web-2"]);
      expect(stopped?.machine).toBe("web-2");
      expect(stopped?.ok).toBe(true);
      expect(stopped?.method).toBe("powerdown");
      expect(stopped?.error).toBeNull();
      expect(fleet.status(["web-2"])[0]?.condition).toBe("stopped");
      expect(fleet.running()).toEqual(["db", "web-1"]);
    },
    SLOW,
  );
});
