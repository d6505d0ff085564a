/**
 * The agent as a Slurm pilot job runs it (`--ready-file`, `--stop-vms-on-exit`), as a real process:
 * it reports where it listens in a file only its user reads, and on SIGTERM says it stops its VMs
 * and exits 0. (tests/agent/slurm.test.ts shows, with real VMs in a real job, that none is left.)
 */
import { afterAll, expect, test } from "bun:test";
import { readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { createTokenFile } from "@nohead/hosts";
import { testTempDir } from "../support/temp-dir.ts";
import { spawnAgent } from "./agent-process.ts";

const root = testTempDir("nohead-pilot-agent-");
afterAll(() => rmSync(root, { recursive: true, force: true }));

test("reports its URL, node and pid in the ready file (0600); SIGTERM stops it and its VMs", async () => {
  const tokenFile = join(root, "token");
  createTokenFile(tokenFile);
  const readyFile = join(root, "agent.json");
  const agent = await spawnAgent([
    "--token-file",
    tokenFile,
    "--state-dir",
    join(root, "state"),
    "--ready-file",
    readyFile,
    "--stop-vms-on-exit",
  ]);
  expect(JSON.parse(readFileSync(readyFile, "utf8"))).toEqual({
    url: agent.url,
    node: readFileSync("/etc/hostname", "utf8").trim(),
    pid: agent.pid,
  });
  expect(statSync(readyFile).mode & 0o777).toBe(0o600);
  expect(await agent.kill("SIGTERM")).toBe(0);
  expect(agent.output()).toContain("SIGTERM: stopping the agent and its VMs\n");
});
