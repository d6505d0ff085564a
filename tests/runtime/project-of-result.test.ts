/**
 * The project follows its build result: `-r` from another directory reaches the same VMs as the
 * commands run inside the project, and nohead's own flags after the machine name (`run a -r R -n`)
 * are nohead's, not QEMU's. One fixture VM.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../support/run-cli.ts";
import { makeRuntimeProject, type RuntimeProject, TEST_DEADLINES } from "../support/runtime-project.ts";
import { testTempDir } from "../support/temp-dir.ts";

let project: RuntimeProject;
let elsewhere: string;

beforeAll(async () => {
  project = await makeRuntimeProject(`{ ... }: { a = { ${TEST_DEADLINES} }; }`);
  elsewhere = testTempDir("nohead-elsewhere-");
}, 60_000);

afterAll(async () => {
  if (project) expect(await project.cleanup()).toEqual([]);
}, 120_000);

const fromElsewhere = (args: string[]) => runCli(args, { cwd: elsewhere, timeoutMs: 150_000 });

test("run a -r R -n from another directory starts the VM in R's project, with no -r passed to QEMU", async () => {
  const run = await fromElsewhere(["run", "a", "-r", project.resultDir, "-n"]);
  expect(run.stderr).not.toContain("invalid option");
  expect(run.exitCode).toBe(0);
  expect(existsSync(join(elsewhere, ".nohead"))).toBe(false);
  const state = project.stateFile("a");
  expect(state?.readiness).toBe("ready");
  const cmdline = Bun.file(`/proc/${state?.pid}/cmdline`);
  expect((await cmdline.text()).split("\0")).not.toContain(project.resultDir);
  expect((await project.statusOf("a")).condition).toBe("running");
}, 200_000);

test("list, status and stopall with the same -r from anywhere see the same VM", async () => {
  for (const args of [
    ["list", "-r", project.resultDir],
    ["-r", project.resultDir, "list"],
    ["list", "--result", project.resultDir],
  ]) {
    const list = await fromElsewhere(args);
    expect(list.exitCode).toBe(0);
    expect(list.stdout).toBe("a\n");
  }
  const status = await fromElsewhere(["status", "--json", "-r", project.resultDir]);
  expect(
    JSON.parse(status.stdout).machines.map((m: { name: string; condition: string }) => [m.name, m.condition]),
  ).toEqual([["a", "running"]]);
  const full = await fromElsewhere(["status", "a", "-r", project.resultDir, "--json"]);
  expect(JSON.parse(full.stdout).machines[0].condition).toBe("running");
  const stop = await fromElsewhere(["stopall", "-r", project.resultDir]);
  expect(stop.exitCode).toBe(0);
  expect(stop.stdout).toContain("a: stopped by");
  expect((await project.cli(["list"])).stdout).toBe("");
}, 120_000);

test("runall -r R -n -- <qemu args>: nohead's flags are its own, what follows -- reaches every QEMU", async () => {
  const run = await fromElsewhere(["runall", "-r", project.resultDir, "-n", "--", "-name", "passed-through"]);
  expect(run.exitCode).toBe(0);
  const cmdline = (await Bun.file(`/proc/${project.stateFile("a")?.pid}/cmdline`).text()).split("\0");
  expect(cmdline).toContain("passed-through");
  expect(cmdline).not.toContain(project.resultDir);
  expect((await fromElsewhere(["stopall", "-r", project.resultDir])).exitCode).toBe(0);
}, 200_000);
