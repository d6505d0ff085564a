/**
 * A VM placed on an agent (a real `nohead agent serve` on loopback, the hosts file naming it),
 * driven by the CLI: `run --attach` streams its console through the agent's host API, as `logs -f`
 * reads it — the console log is in the agent's state dir, not in the project — and Ctrl-C stops
 * the VM there; `restart` restarts it there, never here. Three VM boots.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
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
      // A failing assertion below must not leave the attached CLI behind.
      timeout: SLOW_MS,
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

test(
  "restart of a VM on an agent stops and starts it there, never on this computer",
  async () => {
    const lab = new ApiHost({ name: "lab", url: agent.url, token: await Bun.file(tokenFile).text() });
    const cli = (args: string[]) =>
      Bun.spawn(["bun", CLI, ...args], {
        cwd: fixture.projectDir,
        env: { ...process.env, NO_COLOR: "1" },
        stdout: "pipe",
        stderr: "pipe",
      });
    expect(await cli(["run", "solo", "-n"]).exited).toBe(0);
    const [before] = await lab.status(["solo"]);
    expect(before?.condition).toBe("running");

    const restart = cli(["restart", "solo", "-n"]);
    const said = await new Response(restart.stderr).text();
    expect(await restart.exited).toBe(0);
    const [after] = await lab.status(["solo"]);
    expect(after?.condition).toBe("running");
    expect(after?.pid).not.toBe(before?.pid);
    expect(said).not.toContain("already stopped");
    // Nothing of it on this computer: no state, and the project's supervisor runs no VM.
    expect(existsSync(join(fixture.projectDir, ".nohead", "vms", "solo"))).toBe(false);
    expect(qemuUsing([join(fixture.projectDir, ".nohead")])).toEqual([]);
    await lab.stop(["solo"]);
  },
  SLOW_MS,
);
