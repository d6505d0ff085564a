/**
 * `run --attach` of a VM placed on an agent (a real `nohead agent serve` on loopback, the hosts
 * file naming it): the console is streamed through the agent's host API, as `logs -f` reads it —
 * the VM's console log is in the agent's state dir, not in the project — and Ctrl-C stops the VM
 * there. One VM boot.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiHost, createTokenFile } from "@nohead/hosts";
import { Fleet, projectAt } from "@nohead/supervisor";
import { type FixtureFleet, makeFixtureFleet } from "../support/fixture-fleet.ts";
import { fixtureInStore } from "../support/fixture-in-store.ts";
import { CLI } from "../support/run-cli.ts";
import { waitUntil } from "../support/runtime-project.ts";
import { type AgentProcess, qemuUsing, spawnAgent } from "./agent-process.ts";

const SLOW_MS = 240_000;
const root = mkdtempSync(join(tmpdir(), "nohead-attach-agent-"));
const stateDir = join(root, "agent-state");
const tokenFile = join(root, "token");
let fixture: FixtureFleet;
let agent: AgentProcess;

beforeAll(async () => {
  fixture = await fixtureInStore(
    await makeFixtureFleet(
      `{ ... }: { solo = { host = "lab"; health.deadlines = { started = 30; booted = 90; ready = 120; }; }; }`,
    ),
  );
  createTokenFile(tokenFile);
  agent = await spawnAgent(["--token-file", tokenFile, "--state-dir", stateDir]);
  mkdirSync(join(fixture.projectDir, ".nohead"), { recursive: true });
  writeFileSync(
    join(fixture.projectDir, ".nohead", "hosts.json"),
    JSON.stringify({ hosts: { lab: { url: agent.url, tokenFile, closures: "shared" } } }),
  );
}, SLOW_MS);

afterAll(async () => {
  await new Fleet(projectAt(stateDir, stateDir), stateDir).stop();
  await agent?.kill("SIGTERM").catch(() => null);
  rmSync(root, { recursive: true, force: true });
  if (fixture) rmSync(fixture.projectDir, { recursive: true, force: true });
}, SLOW_MS);

test(
  "streams the console of a VM on an agent through the agent, and Ctrl-C stops it there",
  async () => {
    const child = Bun.spawn(["bun", CLI, "run", "solo", "-n", "--attach"], {
      cwd: fixture.projectDir,
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
    expect(await waitUntil(() => err.includes("attached to solo"), 180_000)).toBe(true);

    const lab = new ApiHost({ name: "lab", url: agent.url, token: await Bun.file(tokenFile).text() });
    const marker = `attach-marker-${Date.now()}`;
    expect((await lab.exec("solo", ["sh", "-c", `echo ${marker} > /dev/console`])).exitCode).toBe(0);
    expect(await waitUntil(() => new RegExp(`^solo\\s+\\| .*${marker}`, "m").test(out), 20_000)).toBe(true);

    child.kill("SIGINT");
    expect(await child.exited).toBe(130);
    expect(err).toMatch(/solo: stopped \((powerdown|quit|sigterm|sigkill)\)/);
    const [status] = await lab.status(["solo"]);
    expect(status?.condition).toBe("stopped");
    expect(qemuUsing([stateDir])).toEqual([]);
  },
  SLOW_MS,
);
