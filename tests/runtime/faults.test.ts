/**
 * Faults of the runtime, forced on real fixture VMs under real QEMU and seen through the real
 * CLI: a QEMU killed under nohead, the CLI killed mid-start, a host port already taken, two
 * commands racing on one project's SSH key and on one VM, a corrupt state file, a guest that
 * never boots, and names or builds that do not exist. Each fault has its own project; every VM
 * is stopped at the end and no QEMU may remain. Slow: ~7 short VM boots, ~1–2 minutes on 2 cores.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureSshIdentity, findProject } from "@nohead/supervisor";
import { writeFixtureRunner } from "../fixture/write-fixture-runner.ts";
import { CLI, REPO_ROOT, runCli } from "../support/run-cli.ts";
import {
  makeRuntimeProject,
  type RuntimeProject,
  TEST_DEADLINES,
  waitUntil,
} from "../support/runtime-project.ts";

const SLOW = 240_000;
const projects: RuntimeProject[] = [];

/** A project of `configs`, cleaned up (and checked for leftover QEMU) at the end of the file. */
async function project(configs: string): Promise<RuntimeProject> {
  const made = await makeRuntimeProject(configs);
  projects.push(made);
  return made;
}

/** The QEMU processes (not runners or ssh) of `p`. */
const qemuOf = (p: RuntimeProject) => p.processes().filter((line) => line.includes("qemu-system"));

afterAll(async () => {
  const left = await Promise.all(projects.map((p) => p.cleanup()));
  expect(left.flat()).toEqual([]);
  for (const p of projects) expect(p.processes()).toEqual([]);
}, 180_000);

describe("a QEMU killed behind nohead's back", () => {
  test(
    "shows as crashed in status (never running), list omits it, and it can be started again",
    async () => {
      const p = await project(`{ ... }: { solo = { ${TEST_DEADLINES} }; }`);
      expect((await p.cli(["runall", "-n"])).exitCode).toBe(0);
      const before = await p.statusOf("solo");
      expect(before.condition).toBe("running");
      const pid = before.pid ?? 0;
      expect(pid).toBeGreaterThan(0);

      process.kill(pid, "SIGKILL");
      expect(await waitUntil(() => qemuOf(p).length === 0, 10_000)).toBe(true);

      const after = await p.statusOf("solo");
      expect(after.condition).toBe("crashed");
      expect(after.pid).toBeNull();
      expect(after.uptimeSeconds).toBeNull();
      expect(after.readiness).toBe("ready");
      // Its watcher in the supervisor saw it go and recorded why.
      expect(after.error).toBe(
        `QEMU (pid ${pid}) is gone without a stop: QEMU exited without shutting down (killed or crashed); last readiness ready`,
      );
      expect(after.stoppedBy).toBeNull();

      const list = await p.cli(["list"]);
      expect(list.exitCode).toBe(0);
      expect(list.stdout).toBe("");
      const table = await p.cli(["status"]);
      expect(table.stdout).toMatch(/^solo\s+crashed\s/m);
      expect(table.stdout).toContain(`! solo: QEMU (pid ${pid}) is gone without a stop`);
      const exec = await p.cli(["exec", "solo", "--", "hostname"]);
      expect(exec.exitCode).toBe(5);
      expect(exec.stderr).toContain("solo: is not running (crashed)");
      expect((await p.cli(["stopall"])).stdout).toBe("no running machines in this project\n");

      const again = await p.cli(["run", "-n", "solo"]);
      expect(again.exitCode).toBe(0);
      const restarted = await p.statusOf("solo");
      expect(restarted.condition).toBe("running");
      expect(restarted.readiness).toBe("ready");
      expect(restarted.error).toBeNull();
    },
    SLOW,
  );
});

describe("the CLI killed with SIGKILL during runall", () => {
  test(
    "leaves the start to the project's supervisor: status shows the VMs, stopall stops them, no QEMU left",
    async () => {
      const p = await project(`{ ... }: { a = { ${TEST_DEADLINES} }; b = { ${TEST_DEADLINES} }; }`);
      const cli = Bun.spawn(["bun", CLI, "runall", "-n"], {
        cwd: p.projectDir,
        env: { ...process.env, NO_COLOR: "1" },
        stdin: "ignore",
        stdout: "ignore",
        stderr: "ignore",
      });
      const reached = (name: string) =>
        ["started", "booted", "ready"].includes(String(p.stateFile(name)?.readiness));
      expect(await waitUntil(() => reached("a") || reached("b"), 60_000)).toBe(true);
      cli.kill("SIGKILL");
      expect(await cli.exited).toBe(137);

      // QEMU runs in its own session and the start goes on in the supervisor, which the CLI's
      // death does not touch: both VMs get started, and their locks are released at the end.
      const starting = () => ["a", "b"].some((n) => existsSync(join(p.vmDir(n), "lock")));
      expect(await waitUntil(() => reached("a") && reached("b") && !starting(), 150_000)).toBe(true);
      const statuses = await p.status();
      expect(statuses.map((s) => [s.name, s.condition])).toEqual([
        ["a", "running"],
        ["b", "running"],
      ]);
      expect(qemuOf(p)).toHaveLength(2);

      // The user's next step after a killed command: stop everything, at once.
      const stop = await p.cli(["stopall"]);
      for (const s of statuses) expect(stop.stdout).toContain(`■ ${s.name}: stopped by `);
      expect(stop.stderr).toBe("");
      expect(stop.exitCode).toBe(0);
      expect(qemuOf(p)).toEqual([]);
      for (const s of await p.status()) expect(s.condition).toBe("stopped");
    },
    SLOW,
  );
});

describe("a host port already taken", () => {
  let blocker: Server | undefined;
  afterAll(() => {
    blocker?.close();
  });

  test(
    "fails that VM with a message naming the VM, the port and the fix; exit 1; the others start",
    async () => {
      blocker = createServer();
      const server = blocker;
      await new Promise<void>((resolve) => server.listen({ host: "127.0.0.1", port: 0 }, resolve));
      const port = (server.address() as { port: number }).port;
      const p = await project(
        `{ ... }: { taken = { firstHostSshPort = ${port}; ${TEST_DEADLINES} }; free = { ${TEST_DEADLINES} }; }`,
      );
      const run = await p.cli(["runall", "-n"]);
      expect(run.exitCode).toBe(1);
      expect(run.stderr).toContain(`✖ taken: host port ${port} (ssh) is in use by another process`);
      expect(run.stderr).toContain(`stop what uses 127.0.0.1:${port}, or pick another firstHostSshPort`);
      expect(run.stderr).toMatch(/^free\s+ready\b/m);
      expect(run.stderr).not.toContain("✖ free");

      const free = await p.statusOf("free");
      expect(free.condition).toBe("running");
      expect(free.readiness).toBe("ready");
      const taken = await p.statusOf("taken");
      expect(taken.condition).not.toBe("running");
      expect(taken.pid).toBeNull();
      expect(qemuOf(p)).toHaveLength(1);
      expect(qemuOf(p)[0]).toContain("-name free ");
    },
    SLOW,
  );
});

describe("two commands at once on a fresh project", () => {
  test("both get the same project SSH key (ssh-keygen made slow so they overlap)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nohead-keys-"));
    // A fake ssh-keygen that waits before running the real one: both commands find no key and
    // make one at the same time, as two `nohead run` started together do.
    const bin = join(dir, "bin");
    mkdirSync(bin);
    const realKeygen = Bun.which("ssh-keygen");
    expect(realKeygen).not.toBeNull();
    writeFileSync(join(bin, "ssh-keygen"), `#!/bin/sh\nsleep 1\nexec ${realKeygen} "$@"\n`, { mode: 0o755 });
    const ensure = () =>
      Bun.spawn(
        [
          "bun",
          "-e",
          `import { ensureSshIdentity, findProject } from "@nohead/supervisor";
           console.log(JSON.stringify(ensureSshIdentity(findProject(${JSON.stringify(dir)}))));`,
        ],
        {
          cwd: REPO_ROOT,
          env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
          stdout: "pipe",
          stderr: "pipe",
        },
      );
    const children = [ensure(), ensure()];
    const results = await Promise.all(
      children.map(async (child) => ({
        exitCode: await child.exited,
        stdout: await new Response(child.stdout).text(),
        stderr: await new Response(child.stderr).text(),
      })),
    );
    const privateKey = join(dir, ".nohead", "ssh", "id_ed25519");
    for (const r of results) {
      expect(r.stderr).toBe("");
      expect(r.exitCode).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ privateKey, publicKey: `${privateKey}.pub` });
    }
    // The pair matches: the public key is the private key's.
    const derived = Bun.spawnSync([realKeygen ?? "ssh-keygen", "-y", "-f", privateKey]).stdout.toString();
    expect(readFileSync(`${privateKey}.pub`, "utf8").split(" ").slice(0, 2)).toEqual(
      derived.trim().split(" ").slice(0, 2),
    );
  }, 60_000);
});

describe("a running VM", () => {
  let p: RuntimeProject;

  test(
    "two `run` of it at once: one QEMU; the other waits its turn or fails with a clear conflict",
    async () => {
      p = await project(`{ ... }: { solo = { ${TEST_DEADLINES} }; }`);
      // The project's key exists already (its creation races separately, tested above).
      ensureSshIdentity(findProject(p.projectDir));
      const results = await Promise.all([p.cli(["run", "-n", "solo"]), p.cli(["run", "-n", "solo"])]);
      const winners = results.filter((r) => r.exitCode === 0);
      const losers = results.filter((r) => r.exitCode !== 0);
      // The second finds it locked (and fails on its own line: docs/cli.md), or already running
      // (and leaves it alone, like a second `compose up`).
      expect(winners.length).toBeGreaterThanOrEqual(1);
      for (const loser of losers) {
        expect(loser.exitCode).toBe(1);
        expect(loser.stderr).toContain("✖ solo: another nohead command is starting or stopping this VM");
      }
      expect(results.some((r) => /^solo\s+ready\b/m.test(r.stderr))).toBe(true);
      expect(qemuOf(p)).toHaveLength(1);
      const status = await p.statusOf("solo");
      expect(status.condition).toBe("running");
      expect(status.readiness).toBe("ready");

      // Once it runs, a third `run` says so, succeeds and changes nothing.
      const third = await p.cli(["run", "-n", "solo"]);
      expect(third.exitCode).toBe(0);
      expect(third.stderr).toMatch(/^solo\s+ready\s.*already running$/m);
      expect((await p.statusOf("solo")).pid).toBe(status.pid);
    },
    SLOW,
  );

  test(
    "a corrupt state file is reported by status; the VM is found by its QMP socket and stop stops it",
    async () => {
      const pid = (await p.statusOf("solo")).pid;
      expect(pid).toBeGreaterThan(0);
      writeFileSync(join(p.vmDir("solo"), "state.json"), "{ this is not JSON \u0000\u0001");

      const status = await p.statusOf("solo");
      expect(status.condition).toBe("running");
      expect(status.pid).toBe(pid);
      expect(status.error).toContain("state file is corrupt");
      expect(status.error).toContain("QEMU found running by its QMP socket");
      // Reading never writes: status leaves the file where it is, never trusted.
      expect(readdirSync(p.vmDir("solo")).some((f) => f.startsWith("state.json.corrupt-"))).toBe(false);

      // Later commands still know the VM runs.
      expect((await p.cli(["list"])).stdout).toBe("solo\n");
      const stop = await p.cli(["stop", "solo"]);
      expect(stop.exitCode).toBe(0);
      expect(stop.stdout).toMatch(/solo: stopped by powerdown in /);
      // The stop set the bad file aside for inspection.
      expect(readdirSync(p.vmDir("solo")).some((f) => f.startsWith("state.json.corrupt-"))).toBe(true);
      expect(await waitUntil(() => qemuOf(p).length === 0, 10_000)).toBe(true);
      expect((await p.statusOf("solo")).condition).not.toBe("running");
    },
    SLOW,
  );
});

describe("a guest that never boots", () => {
  test(
    "fails at its booted deadline with the console tail, exit 1, and no QEMU left",
    async () => {
      const p = await project(
        `{ ... }: { stuck = { health.deadlines = { started = 30; booted = 15; ready = 30; }; }; }`,
      );
      // The same fixture, but the kernel finds no /init in the initramfs, panics, and (panic=0)
      // hangs forever: QEMU runs, the guest agent never answers.
      const runner = await writeFixtureRunner({
        dir: join(p.resultDir, "runners", "stuck-panics"),
        name: "stuck",
        kernelParams: ["rdinit=/nonexistent", "panic=0"],
      });
      const manifestFile = join(p.resultDir, "nohead-manifest.json");
      const manifest = JSON.parse(readFileSync(manifestFile, "utf8")) as {
        machines: { name: string; runner: string }[];
      };
      for (const m of manifest.machines) if (m.name === "stuck") m.runner = runner;
      writeFileSync(manifestFile, JSON.stringify(manifest, null, 2));

      const run = await p.cli(["run", "-n", "stuck"]);
      expect(run.exitCode).toBe(1);
      expect(run.stderr).toContain(
        "✖ stuck: not booted after 15 s: the guest agent to answer did not succeed",
      );
      expect(run.stderr).toContain("last console lines:");
      expect(run.stderr).toContain("Kernel panic - not syncing: VFS: Unable to mount root fs");
      expect(qemuOf(p)).toEqual([]);

      const status = await p.statusOf("stuck");
      expect(status.condition).toBe("failed");
      expect(status.readiness).toBe("failed");
      expect(status.pid).toBeNull();
      expect(status.error).toContain("not booted after 15 s");
      // The panicked guest ignores the ACPI button: nohead escalated to QMP quit.
      expect(status.stoppedBy).toBe("quit");
    },
    SLOW,
  );
});

describe("names and builds that do not exist", () => {
  test("run of an unknown machine exits 4 and lists the known names", async () => {
    const p = await project(`{ ... }: { db = { }; web = { count = 2; }; }`);
    const run = await p.cli(["run", "-n", "nosuch"]);
    expect(run.exitCode).toBe(4);
    expect(run.stderr).toContain('no machine named "nosuch"');
    expect(run.stderr).toContain("db, web-1, web-2");
    expect(run.stdout).toBe("");
    expect(existsSync(p.vmDir("nosuch"))).toBe(false);
  });

  test("runall without a build result exits 4 and says to run `nohead build` first", async () => {
    const empty = mkdtempSync(join(tmpdir(), "nohead-empty-"));
    const runall = await runCli(["runall", "-n"], { cwd: empty });
    expect(runall.exitCode).toBe(4);
    expect(runall.stderr).toContain(`there is no build result at ${join(empty, "result")}`);
    expect(runall.stderr).toContain("run `nohead build` first");
    expect(runall.stdout).toBe("");
  });
});
