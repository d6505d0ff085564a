/**
 * `nohead test` end to end, from project directories outside the checkout (temp dirs with no
 * node_modules: `nohead/test` must resolve anyway): fresh fleet, bun:test files, JUnit XML of a
 * passing and a failing file, exit codes, `--keep`, `--interactive`, the run's deadline, and no
 * VM left afterwards, after a failure, the deadline or a TERM too. Slow: 6 fixture boots, ~2–4
 * minutes on 2 cores.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLI, REPO_ROOT } from "../support/run-cli.ts";
import { makeRuntimeProject, type RuntimeProject, TEST_DEADLINES } from "../support/runtime-project.ts";

setDefaultTimeout(300_000);
const projects: RuntimeProject[] = [];

async function project(configs: string): Promise<RuntimeProject> {
  const made = await makeRuntimeProject(configs);
  projects.push(made);
  expect(made.projectDir.startsWith(REPO_ROOT)).toBe(false);
  return made;
}

/** The QEMU processes of `p`. */
const qemuOf = (p: RuntimeProject) => p.processes().filter((line) => line.includes("qemu-system"));

afterAll(async () => {
  const left = await Promise.all(projects.map((p) => p.cleanup()));
  expect(left.flat()).toEqual([]);
}, 120_000);

/** The test cases of a JUnit report: name, and the failure message when it failed. */
function junitCases(xml: string): { name: string; failure: string | null }[] {
  return [...xml.matchAll(/<testcase name="([^"]*)"[^>]*?(?:\/>|>([\s\S]*?)<\/testcase>)/g)].map((m) => ({
    name: m[1] ?? "",
    failure: /<failure\b/.test(m[2] ?? "") ? (m[2] ?? "") : null,
  }));
}

describe("nohead test", () => {
  test("runs a passing and a failing file against a fresh 2-VM fleet, writes JUnit for both, exits 1, stops every VM", async () => {
    // The shape of examples/server-client's test.ts, with the fixture's httpd on 8080 standing in
    // for server.py on 8000, and busybox wget for curl.
    const p = await project(`{ ... }: {
      server = { ${TEST_DEADLINES} forwardPorts = [ { name = "http"; guestPort = 8080; } ]; };
      client = { ${TEST_DEADLINES} dependsOn = [ "server" ]; };
    }`);
    writeFileSync(
      join(p.projectDir, "passing.test.ts"),
      `import { expect, test } from "bun:test";
import { fleet, machine, machines } from "nohead/test";

const server = machine("server");
const client = machine("client");

test("the fleet has both machines", () => {
  expect(machines().map((m) => m.name)).toEqual(["client", "server"]);
});

test("the server answers, in the guest and through its host forward", async () => {
  await server.waitForOpenPort(8080);
  expect(await server.succeed("wget -q -O - http://localhost:8080/")).toBe("server\\n");
  const http = fleet.status(["server"])[0]?.forwards.find((f) => f.name === "http");
  expect(await (await fetch(\`http://127.0.0.1:\${http?.hostPort}/\`)).text()).toBe("server\\n");
});

test("the client reaches the server by name; not without the cable", async () => {
  // The fixture's busybox wget crashes with -T: an HTTP GET through nc, by name, bounded by -w.
  const get = "printf 'GET / HTTP/1.0\\\\r\\\\n\\\\r\\\\n' | nc -w 3 server 8080";
  expect(await client.succeed(get)).toEndWith("\\r\\n\\r\\nserver\\n");
  await server.block();
  await client.fail(get);
  await server.unblock();
  await client.waitUntilSucceeds(get, { timeoutMs: 30_000 });
});

test("disks are fresh: first boot", async () => {
  expect(await server.succeed("cat /run/nohead/boot-count")).toBe("1\\n");
});
`,
    );
    writeFileSync(
      join(p.projectDir, "failing.test.ts"),
      `import { test } from "bun:test";
import { machine } from "nohead/test";

test("a command that works", async () => {
  await machine("client").succeed("true");
});

test("a file that is not there", async () => {
  await machine("client").succeed("cat /etc/not-there");
});
`,
    );
    // An earlier boot's disk must not leak in: boot the server once, stop it, then test.
    expect((await p.cli(["run", "server", "-n"])).exitCode).toBe(0);
    expect((await p.cli(["stopall"])).exitCode).toBe(0);

    const report = join(p.projectDir, "report.xml");
    const run = await p.cli(["test", "passing.test.ts", "failing.test.ts", "--junit", report], {
      timeoutMs: 280_000,
    });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/server\s+ready/);
    expect(run.stderr).toMatch(/client\s+ready/);
    expect(run.stderr).toContain("[client] must succeed: `cat /etc/not-there`");
    expect(run.stderr).not.toContain("The fleet is running");

    const cases = junitCases(readFileSync(report, "utf8"));
    expect(cases.map((c) => c.name)).toEqual([
      "the fleet has both machines",
      "the server answers, in the guest and through its host forward",
      "the client reaches the server by name; not without the cable",
      "disks are fresh: first boot",
      "a command that works",
      "a file that is not there",
    ]);
    // Only the last one failed (a mismatch shows the unexpected failure's message).
    expect(cases.slice(0, 5).filter((c) => c.failure !== null)).toEqual([]);
    expect(cases[5]?.failure).not.toBeNull();
    const failure = cases[5]?.failure ?? "";
    expect(failure).toContain("`cat /etc/not-there` to succeed failed");
    expect(failure).toContain("exit code 1");

    expect(qemuOf(p)).toEqual([]);
    const status = await p.status();
    expect(status.map((s) => [s.name, s.condition])).toEqual([
      ["client", "stopped"],
      ["server", "stopped"],
    ]);
  });

  test("--keep leaves the fleet running and says how to reach it; --interactive reuses it; the deadline fails the run and stops the VMs", async () => {
    const p = await project(`{ ... }: { solo = { ${TEST_DEADLINES} }; }`);
    writeFileSync(
      join(p.projectDir, "quick.test.ts"),
      `import { expect, test } from "bun:test";
import { machine } from "nohead/test";
test("solo answers", async () => {
  expect(await machine("solo").succeed("hostname")).toBe("solo\\n");
});
`,
    );
    const kept = await p.cli(["test", "quick.test.ts", "--keep"]);
    expect(kept.exitCode).toBe(0);
    expect(kept.stderr).toContain("The fleet is running. Reach it with:");
    expect(kept.stderr).toContain("nohead ssh solo");
    expect(kept.stderr).toContain("nohead exec solo -- <command…>");
    expect((await p.statusOf("solo")).condition).toBe("running");

    const interactive = await p.cli(["test", "--interactive"]);
    expect(interactive.exitCode).toBe(0);
    expect(interactive.stderr).toContain("solo is already running: tested as it is");
    expect(interactive.stderr).toContain("nohead console solo");
    expect((await p.statusOf("solo")).condition).toBe("running");
    expect((await p.cli(["stopall"])).exitCode).toBe(0);

    writeFileSync(
      join(p.projectDir, "hang.test.ts"),
      `import { test } from "bun:test";
import { machine } from "nohead/test";
test("waits for ever", async () => {
  await machine("solo").waitForFile("/never/there", { timeoutMs: 600_000 });
});
`,
    );
    const started = performance.now();
    const hung = await p.cli(["test", "hang.test.ts", "--timeout", "60"]);
    expect(hung.exitCode).toBe(1);
    expect(performance.now() - started).toBeLessThan(100_000);
    expect(hung.stderr).toContain("the run's deadline (--timeout 60) passed while the tests ran");
    expect(hung.stderr).toContain("[solo] waiting for file /never/there to exist");
    expect(qemuOf(p)).toEqual([]);
    expect((await p.statusOf("solo")).condition).toBe("stopped");

    // Interrupted (as by Ctrl-C in a terminal, or a CI runner's TERM) while a test waits.
    const child = Bun.spawn(["bun", CLI, "test", "hang.test.ts"], {
      cwd: p.projectDir,
      env: { ...process.env, NO_COLOR: "1" },
      stdout: "pipe",
      stderr: "pipe",
    });
    // Read stderr to the end (a pipe closed early would fail the CLI's writes, not test the signal).
    let seen = "";
    let waiting: () => void = () => undefined;
    const waitingSeen = new Promise<void>((resolve) => {
      waiting = resolve;
    });
    const drained = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of child.stderr) {
        seen += decoder.decode(chunk, { stream: true });
        if (seen.includes("[solo] waiting for file /never/there to exist")) waiting();
      }
    })();
    await Promise.race([waitingSeen, drained]);
    child.kill("SIGTERM");
    await drained;
    expect(seen).toContain("SIGTERM: ending the run; stopping the machines it started");
    expect(await child.exited).toBe(143);
    expect(qemuOf(p)).toEqual([]);
    expect((await p.statusOf("solo")).condition).toBe("stopped");
  });
});
