/**
 * `runall --attach`: stays in the foreground streaming the console, hosts the VMs' watchers (so
 * `--restart on-failure` restarts a crashed VM), and stops everything on Ctrl-C (SIGINT) with
 * exit 130. Real QEMU.
 */
import { afterAll, expect, test } from "bun:test";
import { CLI } from "./support/run-cli.ts";
import {
  makeRuntimeProject,
  type RuntimeProject,
  TEST_DEADLINES,
  waitUntil,
} from "./support/runtime-project.ts";

let project: RuntimeProject | undefined;
afterAll(async () => {
  expect((await project?.cleanup()) ?? []).toEqual([]);
});

test("attach streams the console, restarts a crashed VM, and stops all on Ctrl-C", async () => {
  project = await makeRuntimeProject(`{ ... }: { solo = { ${TEST_DEADLINES} }; }`);
  const child = Bun.spawn(["bun", CLI, "runall", "-n", "--attach", "--restart", "on-failure"], {
    cwd: project.projectDir,
    env: { ...process.env, NO_COLOR: "1" },
    stdout: "pipe",
    stderr: "pipe",
  });
  let out = "";
  let err = "";
  void (async () => {
    for await (const chunk of child.stdout) out += new TextDecoder().decode(chunk);
  })();
  void (async () => {
    for await (const chunk of child.stderr) err += new TextDecoder().decode(chunk);
  })();
  const p = project;
  await waitUntil(() => err.includes("attached to solo"), 180_000);
  const first = (await p.statusOf("solo")).pid;
  expect(first).toBeGreaterThan(0);

  // A crash behind nohead's back: the attached CLI notices and starts it again.
  process.kill(first ?? 0, "SIGKILL");
  await waitUntil(() => err.includes("solo: QEMU"), 30_000);
  const deadline = performance.now() + 180_000;
  for (;;) {
    const s = await p.statusOf("solo");
    if (s.condition === "running" && s.readiness === "ready" && s.pid !== first) break;
    if (performance.now() > deadline) throw new Error(`solo was not restarted: ${JSON.stringify(s)}`);
    await Bun.sleep(500);
  }
  expect(err).toContain(
    "solo: QEMU exited without shutting down (killed or crashed); restarting (restart policy)",
  );
  expect(err).toMatch(/solo: restart 1 after 1 s\n/);

  // The console is streamed with the machine's name in front.
  await waitUntil(() => /^solo\s+\| .*nohead-fixture/m.test(out), 30_000);

  child.kill("SIGINT");
  expect(await child.exited).toBe(130);
  expect(err).toContain("SIGINT: stopping solo");
  expect(err).toMatch(/solo: stopped \((powerdown|quit)\)/);
  expect((await p.statusOf("solo")).condition).toBe("stopped");
  expect(await p.lingering()).toEqual([]);
}, 420_000);
