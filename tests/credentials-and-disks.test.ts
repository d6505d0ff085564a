/**
 * Secrets reach the guest as credentials at run time (never in the manifest or the store), and a
 * VM's disk remembers which system made it (kept with a warning when the system changed,
 * recreated with --fresh). Real QEMU, one fixture VM.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeRuntimeProject, type RuntimeProject, TEST_DEADLINES } from "./support/runtime-project.ts";

const secretDir = mkdtempSync(join(tmpdir(), "nohead-secret-"));
const secretFile = join(secretDir, "api-token");
const SECRET = `s3cret-${Math.random().toString(36).slice(2)}`;
writeFileSync(secretFile, SECRET, { mode: 0o600 });

let project: RuntimeProject | undefined;
afterAll(async () => {
  const left = (await project?.cleanup()) ?? [];
  expect(left).toEqual([]);
});

describe("secrets and disks", () => {
  test("a secret is handed to the guest at run time and appears nowhere in the build result", async () => {
    project = await makeRuntimeProject(
      `{ ... }: { vault = { secrets.apiToken = "${secretFile}"; ${TEST_DEADLINES} }; }`,
    );
    const manifestText = readFileSync(join(project.resultDir, "nohead-manifest.json"), "utf8");
    expect(manifestText).toContain(secretFile);
    expect(manifestText).not.toContain(SECRET);
    const run = await project.cli(["run", "vault", "-n"]);
    expect(run.exitCode).toBe(0);
    const read = await project.cli(["exec", "vault", "--", "cat", "/run/credentials/@system/apiToken"]);
    expect(read.exitCode).toBe(0);
    expect(read.stdout).toBe(SECRET);
    // Not on QEMU's command line either: only the file's path is.
    const cmdlines = project.processes().join("\n");
    expect(cmdlines).toContain(`file=${secretFile}`);
    expect(cmdlines).not.toContain(SECRET);
  }, 240_000);

  test("the disk is kept across runs, kept with a warning when the system changed, and recreated with --fresh", async () => {
    if (!project) throw new Error("the first test did not create the project");
    const bootCount = async () =>
      (await project?.cli(["exec", "vault", "--", "cat", "/run/nohead/boot-count"]))?.stdout.trim();
    expect(await bootCount()).toBe("1");
    expect((await project.cli(["stop", "vault"])).exitCode).toBe(0);
    expect((await project.cli(["run", "vault", "-n"])).exitCode).toBe(0);
    expect(await bootCount()).toBe("2");
    expect((await project.cli(["stop", "vault"])).exitCode).toBe(0);

    // A rebuild: the manifest names another system for the same machine.
    const manifestPath = join(project.resultDir, "nohead-manifest.json");
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
    manifest.machines[0].system = `${manifest.machines[0].system}-rebuilt`;
    writeFileSync(manifestPath, JSON.stringify(manifest));
    const stale = await project.cli(["run", "vault", "-n", "--json"]);
    expect(stale.exitCode).toBe(0);
    const [result] = JSON.parse(stale.stdout).machines;
    expect(result.warnings).toEqual([expect.stringContaining("its disk was made by another system")]);
    expect(result.warnings[0]).toContain("--fresh");
    expect(await bootCount()).toBe("3");
    expect((await project.cli(["stop", "vault"])).exitCode).toBe(0);

    const fresh = await project.cli(["run", "vault", "-n", "--fresh", "--json"]);
    expect(fresh.exitCode).toBe(0);
    expect(JSON.parse(fresh.stdout).machines[0].warnings).toEqual(["recreated its disk (--fresh)"]);
    expect(await bootCount()).toBe("1");
  }, 300_000);

  test("a missing secret file fails that VM with the secret's name and path", async () => {
    const missing = join(secretDir, "nope");
    const other = await makeRuntimeProject(
      `{ ... }: { lost = { secrets.key = "${missing}"; ${TEST_DEADLINES} }; }`,
    );
    try {
      const run = await other.cli(["run", "lost", "-n", "--json"]);
      expect(run.exitCode).toBe(1);
      const [result] = JSON.parse(run.stdout).machines;
      expect(result.error).toContain(`secret "key" is read from ${missing}, which does not exist`);
      expect(await other.lingering()).toEqual([]);
    } finally {
      await other.cleanup();
    }
  }, 120_000);
});
