/**
 * The live start display with real fixture VMs: `runall` in real tmux panes of 60 and 120 columns ends
 * with one line per VM (no stale copies of redrawn lines), and Ctrl-C during `runall` says what
 * is left running and how to stop it. Two fixture VMs, b depends on a.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { CLI } from "../support/run-cli.ts";
import { makeRuntimeProject, type RuntimeProject, TEST_DEADLINES } from "../support/runtime-project.ts";

let project: RuntimeProject;
const socket = `nohead-display-${process.pid}`;
const tmux = (...args: string[]) =>
  Bun.spawnSync(["tmux", "-L", socket, ...args], { stdout: "pipe", stderr: "pipe" });

beforeAll(async () => {
  project = await makeRuntimeProject(`{ ... }: {
    a = { ${TEST_DEADLINES} };
    b = { dependsOn = [ "a" ]; ${TEST_DEADLINES} };
  }`);
}, 60_000);

afterAll(async () => {
  tmux("kill-server");
  if (project) expect(await project.cleanup()).toEqual([]);
}, 120_000);

test.each([60, 120])(
  "runall in a %i-column tmux pane ends with a header, one line per VM and the summary",
  async (columns) => {
    const session = `run${columns}`;
    const created = tmux(
      "new-session",
      "-d",
      "-s",
      session,
      "-x",
      String(columns),
      "-y",
      "40",
      "-c",
      project.projectDir,
      `bun ${CLI} runall -n; echo "EXIT=$?"; sleep 120`,
    );
    expect(created.exitCode).toBe(0);
    let screen = "";
    const deadline = Date.now() + 150_000;
    while (Date.now() < deadline) {
      screen = tmux("capture-pane", "-p", "-t", session).stdout.toString();
      if (screen.includes("EXIT=")) break;
      await Bun.sleep(500);
    }
    const lines = screen.split("\n").filter((l) => l.trim() !== "");
    expect(lines.at(-1)).toBe("EXIT=0");
    expect(lines.slice(0, -1)).toEqual([
      expect.stringMatching(/^2\/2 ready\s+\d+\.\ds$/),
      expect.stringMatching(/^a\s+ready\s+\d+\.\ds\s+ssh:\d+/),
      expect.stringMatching(/^b\s+ready\s+\d+\.\ds\s+ssh:\d+/),
      expect.stringMatching(/^✔ 2\/2 ready in \d+\.\ds$/),
    ]);
    expect((await project.cli(["stopall"])).exitCode).toBe(0);
  },
  200_000,
);

test("Ctrl-C during runall says which VMs are left running and how to stop them, and exits 130", async () => {
  const child = Bun.spawn(["bun", CLI, "runall", "-n"], {
    cwd: project.projectDir,
    env: { ...process.env, NO_COLOR: "1" },
    stdout: "pipe",
    stderr: "pipe",
  });
  let stderr = "";
  const reader = child.stderr.getReader();
  const decoder = new TextDecoder();
  const deadline = Date.now() + 120_000;
  while (!/^a\s+ready/m.test(stderr) && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    stderr += decoder.decode(value);
  }
  expect(stderr).toMatch(/^a\s+ready/m);
  child.kill("SIGINT");
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    stderr += decoder.decode(value);
  }
  expect(await child.exited).toBe(130);
  expect(stderr).toMatch(
    /interrupted: a(, b)? (is|are) left running \(VMs run on their own\)(; b is still starting in the project's supervisor)?; stop them with `nohead stopall`/,
  );
  expect((await project.cli(["list"])).stdout).toContain("a\n");
}, 200_000);

test("run of a VM whose dependency already runs shows and counts only what it starts", async () => {
  // a was left running by the Ctrl-C test above; b may still be starting in the supervisor (a
  // stop waits for no start: it fails while the start holds b's lock), so stop it once it is up.
  const deadline = Date.now() + 120_000;
  let stopped = await project.cli(["stop", "b"]);
  while (stopped.exitCode !== 0 && Date.now() < deadline) {
    await Bun.sleep(1000);
    stopped = await project.cli(["stop", "b"]);
  }
  expect(stopped.exitCode).toBe(0);
  expect((await project.cli(["list"])).stdout).toBe("a\n");
  const run = await project.cli(["run", "b", "-n"]);
  expect(run.exitCode).toBe(0);
  const lines = run.stderr.trimEnd().split("\n");
  expect(lines.filter((l) => /^a\s/.test(l))).toEqual([]);
  expect(lines.at(-1)).toMatch(/^✔ 1\/1 ready in \d+\.\ds$/);
}, 200_000);
