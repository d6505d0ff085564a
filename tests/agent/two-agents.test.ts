/**
 * End to end with real processes: two agents (`nohead agent serve`) on loopback, each
 * with its own state dir, fixture VMs placed on them from a hosts file and started through
 * ApiHost; statuses merge; one agent is SIGKILLed and started again on the same state dir and
 * re-adopts its VM (lists it running, restarts it from the saved machine, stops it); no QEMU is
 * left. Two VM boots plus one restart.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createTokenFile,
  isSlurmHost,
  loadHosts,
  placeMachines,
  readTokenFile,
  type ResolvedAgentHost,
  ApiHost,
  statusOfHosts,
} from "@nohead/hosts";
import { Fleet, projectAt } from "@nohead/supervisor";
import { type FixtureFleet, makeFixtureFleet } from "../support/fixture-fleet.ts";
import { fixtureInStore } from "../support/fixture-in-store.ts";
import { waitUntil } from "../support/runtime-project.ts";
import { type AgentProcess, qemuUsing, SERVE, spawnAgent } from "./agent-process.ts";

/** Budget of the steps that boot VMs: generous, as CI machines are slow. */
const SLOW_MS = 240_000;
const root = mkdtempSync(join(tmpdir(), "nohead-two-agents-"));
const stateDirs = { east: join(root, "east-state"), west: join(root, "west-state") };
const tokenFiles = { east: join(root, "east.token"), west: join(root, "west.token") };
let fixture: FixtureFleet;
const agents: Partial<Record<"east" | "west", AgentProcess>> = {};

const agentArgs = (name: "east" | "west") => [
  "--token-file",
  tokenFiles[name],
  "--state-dir",
  stateDirs[name],
];

/** The hosts file a user would write, in the project's .nohead/. */
function writeHostsFile() {
  const dir = join(fixture.projectDir, ".nohead");
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "hosts.json"),
    JSON.stringify({
      hosts: {
        east: { url: agents.east?.url, tokenFile: tokenFiles.east, closures: "agent-builds" },
        west: { url: agents.west?.url, tokenFile: tokenFiles.west, closures: "agent-builds" },
      },
    }),
  );
  return join(dir);
}

function hosts(): Map<string, ApiHost> {
  const declared = [...loadHosts(writeHostsFile(), { HOME: root }).values()].filter(
    (h): h is ResolvedAgentHost => !isSlurmHost(h),
  );
  return new Map(declared.map((h) => [h.name, ApiHost.fromHostsFile(h, readTokenFile)]));
}

beforeAll(async () => {
  fixture = await fixtureInStore(
    await makeFixtureFleet(`{ ... }: { alpha = { host = "east"; }; beta = { host = "west"; }; }`),
  );
  createTokenFile(tokenFiles.east);
  createTokenFile(tokenFiles.west);
  [agents.east, agents.west] = await Promise.all([
    spawnAgent(agentArgs("east")),
    spawnAgent(agentArgs("west")),
  ]);
}, SLOW_MS);

afterAll(async () => {
  // Stop whatever a failed test left, straight from the state dirs, then the agents.
  for (const dir of Object.values(stateDirs)) await new Fleet(projectAt(dir, dir), dir).stop();
  await Promise.all(Object.values(agents).map((a) => a?.kill("SIGTERM").catch(() => null)));
  rmSync(root, { recursive: true, force: true });
  rmSync(fixture.projectDir, { recursive: true, force: true });
}, SLOW_MS);

describe("two agents", () => {
  test("refuse a network address without TLS (exit 2, saying why)", async () => {
    const child = Bun.spawn([...SERVE, "--listen", "0.0.0.0:0", "--token-file", tokenFiles.east], {
      // The CLI colours its messages where it may (picocolors takes CI=true as a colour terminal).
      env: { ...process.env, NO_COLOR: "1" },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [stderr, code] = await Promise.all([new Response(child.stderr).text(), child.exited]);
    expect(code).toBe(2);
    expect(stderr).toContain("refusing to listen on 0.0.0.0:0 without TLS");
    expect(stderr).toContain("hint: pass --tls-cert and --tls-key");
  });

  test(
    "machines placed by their host option start on their agents; statuses merge",
    async () => {
      const byHost = hosts();
      const placed = placeMachines(fixture.manifest.machines, { known: new Set(byHost.keys()) });
      expect([...placed.entries()].map(([h, ms]) => [h, ms.map((m) => m.name)])).toEqual([
        ["east", ["alpha"]],
        ["west", ["beta"]],
      ]);
      const results = await Promise.all(
        [...placed.entries()].map(([name, machines]) => (byHost.get(name) as ApiHost).start(machines)),
      );
      expect(results.flat().map((r) => [r.machine, r.ok, r.readiness])).toEqual([
        ["alpha", true, "ready"],
        ["beta", true, "ready"],
      ]);
      const { vms, unreachable } = await statusOfHosts([...byHost.values()]);
      expect(unreachable).toEqual([]);
      expect(vms.map((v) => [v.host, v.name, v.condition, v.readiness])).toEqual([
        ["east", "alpha", "running", "ready"],
        ["west", "beta", "running", "ready"],
      ]);
      // Each agent keeps the machines it was given, for restarts.
      const saved = JSON.parse(readFileSync(join(stateDirs.east, "manifest.json"), "utf8")) as {
        machines: { name: string }[];
      };
      expect(saved.machines.map((m) => m.name)).toEqual(["alpha"]);
    },
    SLOW_MS,
  );

  test(
    "an agent killed with SIGKILL and started again re-adopts its VM",
    async () => {
      const before = (await (hosts().get("east") as ApiHost).status(["alpha"]))[0];
      expect(before?.condition).toBe("running");
      const code = await agents.east?.kill("SIGKILL");
      expect(code).toBe(137);
      // The agent is gone; its VM is not.
      const { unreachable } = await statusOfHosts([hosts().get("east") as ApiHost]);
      expect(unreachable.map((u) => u.host)).toEqual(["east"]);
      expect(() => process.kill(before?.pid as number, 0)).not.toThrow();

      agents.east = await spawnAgent(agentArgs("east"));
      const east = hosts().get("east") as ApiHost;
      // Its worker in the new agent takes the VM over and resumes its health checks.
      let adopted = (await east.status())[0];
      await waitUntil(async () => {
        adopted = (await east.status())[0];
        return adopted?.watcherPid === agents.east?.pid && adopted?.healthy === true;
      }, 60_000);
      expect(adopted).toEqual({
        ...(before as object),
        uptimeSeconds: expect.any(Number),
        lastHealthCheck: expect.any(String),
        watcherPid: agents.east?.pid,
      } as typeof adopted);

      // The saved machine lets the new agent restart it, then stop it.
      const res = await fetch(`${agents.east?.url}/v1/vms/alpha/restart`, {
        method: "POST",
        headers: { Authorization: `Bearer ${readTokenFile(tokenFiles.east)}` },
      });
      expect(res.status).toBe(200);
      const restarted = (await res.json()) as {
        stop: { ok: boolean };
        machines: { machine: string; ok: boolean; pid: number }[];
      };
      expect(restarted.stop.ok).toBe(true);
      expect(restarted.machines.map((m) => [m.machine, m.ok])).toEqual([["alpha", true]]);
      expect(restarted.machines[0]?.pid).not.toBe(before?.pid);
      const [stopped] = await east.stop(["alpha"]);
      expect(stopped?.ok).toBe(true);
      expect((await east.status(["alpha"]))[0]?.condition).toBe("stopped");
    },
    SLOW_MS,
  );

  test("stopping everything everywhere leaves no QEMU of ours", async () => {
    const all = [...hosts().values()];
    const reports = (await Promise.all(all.map((h) => h.stop()))).flat();
    expect(reports.map((r) => [r.machine, r.ok])).toEqual([["beta", true]]);
    const { vms } = await statusOfHosts(all);
    expect(vms.map((v) => [v.host, v.name, v.condition])).toEqual([
      ["east", "alpha", "stopped"],
      ["west", "beta", "stopped"],
    ]);
    expect(qemuUsing(Object.values(stateDirs))).toEqual([]);
  });
});
