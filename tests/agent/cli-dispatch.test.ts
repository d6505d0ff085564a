/**
 * The CLI dispatching a build's machines to two real agents on loopback (the `host` option),
 * one machine staying local: runall starts all three, status merges the hosts, exec and logs
 * reach remote machines, stopall stops everything, and no QEMU is left.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTokenFile } from "@nohead/hosts";
import { fixtureInStore } from "../support/fixture-in-store.ts";
import { CLI } from "../support/run-cli.ts";
import { makeRuntimeProject, type RuntimeProject, TEST_DEADLINES } from "../support/runtime-project.ts";
import { type AgentProcess, qemuUsing, spawnAgent } from "./agent-process.ts";

const root = mkdtempSync(join(tmpdir(), "nohead-dispatch-"));
const agents: Record<string, AgentProcess> = {};
let project: RuntimeProject;

beforeAll(async () => {
  project = await makeRuntimeProject(`{ ... }: {
    alpha = { host = "east"; ${TEST_DEADLINES} };
    beta = { host = "west"; ${TEST_DEADLINES} };
    gamma = { ${TEST_DEADLINES} };
  }`);
  await fixtureInStore(project);
  const hosts: Record<string, unknown> = {};
  for (const name of ["east", "west"]) {
    const tokenFile = join(root, `${name}.token`);
    createTokenFile(tokenFile);
    const agent = await spawnAgent(["--token-file", tokenFile, "--state-dir", join(root, `${name}-state`)]);
    agents[name] = agent;
    hosts[name] = { url: agent.url, tokenFile, closures: "shared" };
  }
  mkdirSync(join(project.projectDir, ".nohead"), { recursive: true });
  writeFileSync(join(project.projectDir, ".nohead/hosts.json"), JSON.stringify({ hosts }));
}, 60_000);

afterAll(async () => {
  await project?.cli(["stopall"]);
  for (const agent of Object.values(agents)) await agent.kill();
  const left = qemuUsing([root, project.projectDir]);
  for (const pid of left) process.kill(pid, "SIGKILL");
  expect(left).toEqual([]);
});

describe("dispatch to agents from the CLI", () => {
  test("runall places machines on their hosts; status merges them; exec and logs reach them; stopall stops all", async () => {
    const run = await project.cli(["runall", "-n"], { timeoutMs: 280_000 });
    expect(run.stderr).not.toContain("✖");
    expect(run.exitCode).toBe(0);

    const status = await project.cli(["status", "--json"]);
    expect(status.exitCode).toBe(0);
    const machines = JSON.parse(status.stdout).machines as {
      name: string;
      host: string;
      condition: string;
      readiness: string;
    }[];
    expect(machines.map((m) => [m.name, m.host, m.condition, m.readiness])).toEqual([
      ["alpha", "east", "running", "ready"],
      ["beta", "west", "running", "ready"],
      ["gamma", "local", "running", "ready"],
    ]);
    const list = await project.cli(["list"]);
    expect([list.exitCode, list.stdout]).toEqual([0, "alpha\nbeta\ngamma\n"]);
    const table = await project.cli(["status"]);
    expect(table.stdout.split("\n")[0]).toMatch(/^NAME\s+HOST\s+STATE/);
    expect(table.stdout).toMatch(/alpha\s+east\s+running/);

    const exec = await project.cli(["exec", "beta", "--", "hostname"]);
    expect(exec.exitCode).toBe(0);
    expect(exec.stdout.trim()).toBe("beta");
    const logs = await project.cli(["logs", "alpha", "-n", "50"]);
    expect(logs.exitCode).toBe(0);
    expect(logs.stdout.length).toBeGreaterThan(0);

    const following = Bun.spawn(["bun", CLI, "logs", "alpha", "-f", "-n", "5"], {
      cwd: project.projectDir,
      stdout: "pipe",
      stderr: "pipe",
    });
    await Bun.sleep(1000);
    const stop = await project.cli(["stopall", "--json"]);
    expect(stop.exitCode).toBe(0);
    expect(
      (JSON.parse(stop.stdout).machines as { machine: string; ok: boolean }[])
        .map((r) => [r.machine, r.ok])
        .sort(),
    ).toEqual([
      ["alpha", true],
      ["beta", true],
      ["gamma", true],
    ]);
    // logs -f of a VM on a host ends once the VM stopped.
    const ended = await Promise.race([following.exited, Bun.sleep(15_000).then(() => "still following")]);
    if (ended === "still following") following.kill();
    expect(ended).toBe(0);
    const after = JSON.parse((await project.cli(["status", "--json"])).stdout).machines as {
      condition: string;
    }[];
    expect(after.every((m) => m.condition === "stopped")).toBe(true);
    expect(qemuUsing([root, project.projectDir])).toEqual([]);
  }, 300_000);
});
