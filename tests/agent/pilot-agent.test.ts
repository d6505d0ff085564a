/**
 * The agent as a Slurm pilot job runs it (`--ready-file`, `--stop-vms-on-exit`, `--network-id`), as
 * a real process: it reports where it listens and on which Slurm node in a file only its user
 * reads; SIGUSR1 (Slurm's warning before the time limit) stops its VMs and it serves on; SIGTERM
 * stops it and its VMs and it exits 0. (tests/agent/slurm.test.ts shows, with real VMs in a real
 * job, that none is left.)
 */
import { afterAll, expect, test } from "bun:test";
import { readFileSync, rmSync, statSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { createTokenFile } from "@nohead/hosts";
import { testTempDir } from "../support/temp-dir.ts";
import { runCli } from "../support/run-cli.ts";
import { spawnAgent } from "./agent-process.ts";

const root = testTempDir("nohead-pilot-agent-");
afterAll(() => rmSync(root, { recursive: true, force: true }));
const tokenFile = join(root, "token");
createTokenFile(tokenFile);

const pilot = (name: string) => [
  "--token-file",
  tokenFile,
  "--state-dir",
  join(root, name, "state"),
  "--ready-file",
  join(root, name, "agent.json"),
  "--stop-vms-on-exit",
];

test("reports its URL, Slurm's node name and pid in the ready file (0600); SIGUSR1 stops its VMs, SIGTERM it", async () => {
  const readyFile = join(root, "slurm", "agent.json");
  const agent = await spawnAgent([...pilot("slurm"), "--network-id", "0a1b2c3d"], {
    env: { ...process.env, SLURMD_NODENAME: "n17" },
  });
  expect(JSON.parse(readFileSync(readyFile, "utf8"))).toEqual({
    url: agent.url,
    node: "n17",
    pid: agent.pid,
  });
  expect(statSync(readyFile).mode & 0o777).toBe(0o600);
  process.kill(agent.pid, "SIGUSR1");
  const deadline = Date.now() + 10_000;
  while (!agent.output().includes("its VMs are stopped\n") && Date.now() < deadline) await Bun.sleep(50);
  expect(agent.output()).toContain("SIGUSR1: the job's end is near; stopping its VMs\nits VMs are stopped\n");
  // It serves on until Slurm ends the job.
  expect((await fetch(`${agent.url}/v1/health`)).status).toBe(200);
  expect(await agent.kill("SIGTERM")).toBe(0);
  expect(agent.output()).toContain("SIGTERM: stopping the agent and its VMs\n");
});

test("outside Slurm the node is the host name", async () => {
  const { SLURMD_NODENAME: _, ...env } = process.env;
  const agent = await spawnAgent(pilot("plain"), { env });
  expect(JSON.parse(readFileSync(join(root, "plain", "agent.json"), "utf8")).node).toBe(hostname());
  expect(await agent.kill("SIGTERM")).toBe(0);
});

test("a network id that is not a project id is refused", async () => {
  const run = await runCli(["agent", "serve", ...pilot("bad"), "--network-id", "../x"], { cwd: root });
  expect(run.exitCode).toBe(2);
  expect(run.stderr).toContain('--network-id must be 8 hex digits (a project id), not "../x"');
});

test("--on-slurm-node outside a Slurm job is refused, saying why", async () => {
  const run = await runCli(["agent", "serve", ...pilot("outside"), "--on-slurm-node"], {
    cwd: root,
    env: { SLURMD_NODENAME: "" },
  });
  expect(run.exitCode).toBe(2);
  expect(run.stderr).toContain("--on-slurm-node needs SLURMD_NODENAME: run it in a Slurm job");
});
