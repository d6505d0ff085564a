/**
 * The Machine API (`nohead/test`) against two real fixture VMs on one private network: every
 * method on a real guest. One fleet serves the whole file (boots are the cost: 2 at the start,
 * then a crash + start, a shutdown + start and a reboot). Slow: ~2–4 minutes on 2 cores.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { rejectionOf } from "@nohead/schema/testing";
import { Fleet } from "@nohead/supervisor";
import { Machine, MachineError } from "nohead/test";
import { makeRuntimeProject, type RuntimeProject, TEST_DEADLINES } from "../support/runtime-project.ts";
import { testTempDir } from "../support/temp-dir.ts";

const SLOW = 240_000;
setDefaultTimeout(SLOW);
let project: RuntimeProject;
let fleet: Fleet;
let alpha: Machine;
let beta: Machine;
const logged: string[] = [];

/** The MachineError `promise` rejects with (fails the test when it resolves or rejects otherwise). */
async function rejection(promise: Promise<unknown>): Promise<MachineError> {
  const error = await rejectionOf(promise);
  if (error instanceof MachineError) return error;
  throw error;
}

beforeAll(async () => {
  project = await makeRuntimeProject(
    `{ ... }: { alpha = { ${TEST_DEADLINES} }; beta = { ${TEST_DEADLINES} }; }`,
  );
  fleet = Fleet.open({ cwd: project.projectDir, result: project.resultDir });
  const results = await fleet.start(undefined, { fresh: true });
  expect(results.map((r) => [r.machine, r.ok, r.error])).toEqual([
    ["alpha", true, null],
    ["beta", true, null],
  ]);
  const options = { log: (line: string) => logged.push(line) };
  alpha = new Machine(fleet, "alpha", options);
  beta = new Machine(fleet, "beta", options);
}, SLOW);

afterAll(async () => {
  const left = await project.cleanup();
  expect(left).toEqual([]);
  expect(fleet.running()).toEqual([]);
}, SLOW);

describe("commands", () => {
  test("succeed returns stdout; execute returns exit code, stdout and stderr; they run as root with sh -c", async () => {
    expect(await alpha.succeed("id -u; echo $0 >&2")).toBe("0\n");
    expect(await alpha.execute("echo out; echo err >&2; exit 3")).toEqual({
      exitCode: 3,
      stdout: "out\n",
      stderr: "err\n",
    });
    expect(await alpha.succeed("hostname")).toBe("alpha\n");
    expect(logged).toContain("[alpha] must succeed: `hostname`");
  });

  test("succeed fails with the exit code, stdout and stderr; fail passes only on failure", async () => {
    const error = await rejection(alpha.succeed("echo partial; echo broken >&2; exit 7"));
    expect(error.failure).toBe("assertion");
    expect(error.machine).toBe("alpha");
    expect(error.action).toBe("`echo partial; echo broken >&2; exit 7` to succeed");
    expect(error.message).toContain("exit code 7");
    expect(error.lastSeen).toBe("exit code 7\nstdout: partial\nstderr: broken");
    expect(await alpha.fail("echo no; exit 1")).toBe("no\n");
    const unexpected = await rejection(alpha.fail("true"));
    expect(unexpected.failure).toBe("assertion");
    expect(unexpected.message).toContain("`true` to fail failed");
    expect(unexpected.message).toContain("it exited 0");
  });

  test("a command past its deadline fails naming the command", async () => {
    const error = await rejection(alpha.succeed("sleep 30", { timeoutMs: 1500 }));
    expect(error.failure).toBe("timed-out");
    expect(error.message).toContain("timed out after");
    expect(error.message).toContain("`sleep 30` to succeed");
    expect(error.waitedMs).toBeGreaterThanOrEqual(1400);
    expect(error.waitedMs).toBeLessThan(10_000);
  });
});

describe("waits", () => {
  test("waitUntilSucceeds, waitForFile and waitUntilFails follow a file that appears, then goes", async () => {
    await alpha.succeed("(sleep 2; touch /tmp/later; sleep 2; rm /tmp/later) >/dev/null 2>&1 &");
    await alpha.waitForFile("/tmp/later", { timeoutMs: 30_000 });
    expect(await alpha.waitUntilSucceeds("ls /tmp/later", { timeoutMs: 5_000 })).toBe("/tmp/later\n");
    await alpha.waitUntilFails("test -e /tmp/later", { timeoutMs: 30_000 });
    expect(await alpha.execute("test -e /tmp/later")).toMatchObject({ exitCode: 1 });
  });

  test("a wait past its deadline fails naming what it waited for and the last thing it saw", async () => {
    const error = await rejection(alpha.waitForFile("/never/there", { timeoutMs: 1500 }));
    expect(error.failure).toBe("timed-out");
    expect(error.action).toBe("file /never/there to exist");
    expect(error.message).toMatch(
      /^alpha: timed out after \d+\.\d s waiting for file \/never\/there to exist/,
    );
    expect(error.lastSeen).toBe("test -e exited 1");
    expect(error.waitedMs).toBeGreaterThanOrEqual(1500);
    const command = await rejection(alpha.waitUntilSucceeds("echo not yet; false", { timeoutMs: 1500 }));
    expect(command.action).toBe("`echo not yet; false` to succeed");
    expect(command.lastSeen).toBe("exit code 1\nstdout: not yet\nstderr: ");
  });

  test("waitForOpenPort and waitForClosedPort see a TCP service come and go in the guest", async () => {
    await alpha.waitForOpenPort(8080, { timeoutMs: 10_000 });
    const closed = await rejection(alpha.waitForOpenPort(8081, { timeoutMs: 1000 }));
    expect(closed.action).toBe("TCP port 8081 to be open");
    expect(closed.lastSeen).toBe("listening TCP ports: 22, 8080");
    const pid = (await alpha.succeed("httpd -f -p 8081 -h /srv/www >/dev/null 2>&1 & echo $!")).trim();
    await alpha.waitForOpenPort(8081, { timeoutMs: 10_000 });
    await alpha.succeed(`kill ${pid}`);
    await alpha.waitForClosedPort(8081, { timeoutMs: 10_000 });
  });

  test("waitForConsoleText sees a marker the guest printed at boot, and reports the console when it does not", async () => {
    await alpha.waitForConsoleText(/nohead-fixture: booted name=alpha/, { timeoutMs: 10_000 });
    const error = await rejection(alpha.waitForConsoleText("never printed", { timeoutMs: 800 }));
    expect(error.action).toBe("console text matching /never printed/");
    expect(error.lastSeen).toContain("nohead-fixture: booted name=alpha");
  });

  test("waitForUnit (against a fake systemctl: the fixture has no systemd) waits for active, fails at once on failed or inactive with no job", async () => {
    const script = join(testTempDir("nohead-fake-systemctl-"), "systemctl");
    writeFileSync(
      script,
      `#!/bin/sh
# A fake systemctl: a unit's ActiveState is /run/fake-units/<unit> (default inactive);
# list-jobs prints /run/fake-jobs or "No jobs running.".
case "$*" in
  *list-jobs*) cat /run/fake-jobs 2>/dev/null || echo "No jobs running." ;;
  *show*)
    for arg; do case "$arg" in show|--*) ;; *) unit=$arg ;; esac; done
    echo "ActiveState=$(cat "/run/fake-units/$unit" 2>/dev/null || echo inactive)"
    echo "SubState=fake"
    echo "LoadState=loaded" ;;
  *) exit 1 ;;
esac
`,
    );
    chmodSync(script, 0o755);
    await alpha.copyFromHost(script, "/usr/local/bin/systemctl");
    await alpha.succeed(
      "mkdir -p /run/fake-units && echo activating >/run/fake-units/app.service && " +
        "echo '1 app.service start running' >/run/fake-jobs && echo failed >/run/fake-units/broken.service",
    );
    await alpha.succeed(
      "(sleep 2; echo active >/run/fake-units/app.service; rm /run/fake-jobs) >/dev/null 2>&1 &",
    );
    await alpha.waitForUnit("app.service", { timeoutMs: 30_000 });

    const started = performance.now();
    const failed = await rejection(alpha.waitForUnit("broken.service", { timeoutMs: 60_000 }));
    expect(failed.failure).toBe("assertion");
    expect(failed.message).toContain('unit "broken.service" to be active failed');
    expect(failed.message).toContain("the unit failed");
    expect(failed.lastSeen).toContain("ActiveState=failed");
    const idle = await rejection(alpha.waitForUnit("idle.service", { timeoutMs: 60_000 }));
    expect(idle.message).toContain("the unit is inactive and no job is pending");
    expect(performance.now() - started).toBeLessThan(20_000);
    await alpha.succeed("rm /usr/local/bin/systemctl");
  });
});

describe("files", () => {
  test(
    "copyFromHost then copyFromVm move a 5 MiB binary file byte for byte, with its mode",
    async () => {
      const dir = testTempDir("nohead-copy-");
      const original = new Uint8Array(5 * 1024 * 1024 + 123);
      for (let i = 0; i < original.length; i += 65536)
        crypto.getRandomValues(original.subarray(i, i + 65536));
      const source = join(dir, "blob.bin");
      writeFileSync(source, original);
      chmodSync(source, 0o640);
      await alpha.copyFromHost(source, "/tmp/in/deep/blob.bin");
      const sha = new Bun.CryptoHasher("sha256").update(original).digest("hex");
      expect(await alpha.succeed("sha256sum /tmp/in/deep/blob.bin | cut -d' ' -f1")).toBe(`${sha}\n`);
      expect(await alpha.succeed("stat -c '%a %u %s' /tmp/in/deep/blob.bin")).toBe(
        `640 0 ${original.length}\n`,
      );

      const back = await alpha.copyFromVm("/tmp/in/deep/blob.bin", join(dir, "out"));
      expect(back).toBe(join(dir, "out", "blob.bin"));
      expect(Buffer.compare(readFileSync(back), Buffer.from(original))).toBe(0);
    },
    SLOW,
  );

  test("copyFromVm of a missing file fails naming the copy", async () => {
    const error = await rejection(alpha.copyFromVm("/nope/missing", testTempDir("nohead-copy-")));
    expect(error.failure).toBe("assertion");
    expect(error.action).toContain("copy /nope/missing to ");
    expect(error.message).toContain("the guest agent refused `guest-file-open`");
    expect(error.message).toContain("No such file or directory");
  });
});

describe("screen and keyboard", () => {
  test("screenshot writes a PNG of the display", async () => {
    const path = await alpha.screenshot(join(testTempDir("nohead-shot-"), "shots", "alpha.png"));
    const png = readFileSync(path);
    expect([...png.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
    expect(png.subarray(12, 16).toString("latin1")).toBe("IHDR");
    expect(png.readUInt32BE(16)).toBeGreaterThan(0); // width
    expect(png.readUInt32BE(20)).toBeGreaterThan(0); // height
    expect(statSync(path).size).toBeGreaterThan(100);
  });

  test("sendChars and sendKeys type on the guest's keyboard (a line read from the VGA console)", async () => {
    await alpha.succeed("(head -n 1 </dev/tty1 >/tmp/typed) >/dev/null 2>&1 &");
    await Bun.sleep(500);
    await alpha.sendChars("Hello, World! 1+1=2\n");
    expect(await alpha.waitUntilSucceeds("cat /tmp/typed && test -s /tmp/typed", { timeoutMs: 20_000 })).toBe(
      "Hello, World! 1+1=2\n",
    );
    await alpha.succeed("(head -n 1 </dev/tty1 >/tmp/keys) >/dev/null 2>&1 &");
    await Bun.sleep(500);
    await alpha.sendKeys("shift-a", "0x30", "ret");
    expect(await alpha.waitUntilSucceeds("cat /tmp/keys && test -s /tmp/keys", { timeoutMs: 20_000 })).toBe(
      "Ab\n",
    );
  });
});

describe("network", () => {
  test("block makes a peer's ping over the private network fail; unblock restores it", async () => {
    await beta.waitUntilSucceeds("ping -c 1 -W 2 alpha", { timeoutMs: 30_000 });
    await alpha.block();
    await beta.fail("ping -c 2 -W 2 alpha");
    await alpha.succeed("true"); // the user network, and so the guest agent, still works
    await alpha.unblock();
    await beta.waitUntilSucceeds("ping -c 1 -W 2 alpha", { timeoutMs: 30_000 });
  });
});

describe("power", () => {
  test(
    "crash kills QEMU at once; start boots it again on the same disk, and the console starts afresh",
    async () => {
      const before = fleet.status(["alpha"])[0];
      // The boot counter reaches the disk only when flushed: a power cut loses what is not.
      await alpha.succeed("dd if=/dev/vda of=/dev/vda bs=32 count=1 conv=notrunc,fsync");
      await alpha.crash();
      expect(fleet.status(["alpha"])[0]?.condition).toBe("crashed");
      expect(alpha.isRunning()).toBe(false);
      const down = await rejection(alpha.succeed("true"));
      expect(down.failure).toBe("not-running");
      expect(down.message).toContain("the machine is crashed");
      await alpha.start();
      expect(fleet.status(["alpha"])[0]?.pid).not.toBe(before?.pid);
      expect(await alpha.succeed("cat /run/nohead/boot-count")).toBe("2\n");
      await alpha.waitForConsoleText(/booted name=alpha/, { timeoutMs: 10_000 });
      expect(alpha.consoleText().match(/init started/g)).toHaveLength(1);
    },
    SLOW,
  );

  test(
    "shutdown powers off gracefully and waits; a stopped machine fails at once; reboot is a power cycle",
    async () => {
      await beta.shutdown();
      expect(fleet.status(["beta"])[0]).toMatchObject({ condition: "stopped", stoppedBy: "powerdown" });
      const started = performance.now();
      const error = await rejection(beta.waitForFile("/tmp", { timeoutMs: 60_000 }));
      expect(performance.now() - started).toBeLessThan(5000);
      expect(error.failure).toBe("not-running");
      expect(error.hint).toBe("start it with `await machine.start()`");
      await beta.start();
      expect(await beta.succeed("cat /run/nohead/boot-count")).toBe("2\n");
      await beta.reboot();
      expect(await beta.succeed("cat /run/nohead/boot-count")).toBe("3\n");
    },
    SLOW,
  );
});
