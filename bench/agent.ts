#!/usr/bin/env bun
/**
 * Agent benchmark (loopback only, bounded): request latency of the API with 50 concurrent
 * clients for 10 s per route (an agent process holding 4 running fixture VMs), and the time to
 * start 4 fixture VMs through the agent versus locally. Prints medians and p99s.
 *
 *   bun bench/agent.ts [--seconds 10] [--clients 50] [--vms 4]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ApiHost, createTokenFile } from "@nohead/hosts";
import { Fleet, projectAt } from "@nohead/supervisor";
import { spawnAgent } from "../tests/agent/agent-process.ts";
import { makeFixtureFleet } from "../tests/support/fixture-fleet.ts";
import { fixtureInStore } from "../tests/support/fixture-in-store.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "10" },
    clients: { type: "string", default: "50" },
    vms: { type: "string", default: "4" },
  },
});
const seconds = Number(values.seconds);
const clients = Number(values.clients);
const vmCount = Number(values.vms);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const ms = (n: number) => `${n.toFixed(2)} ms`;

/** `clients` loops requesting `url` until `seconds` have passed; latencies of successful answers. */
async function load(label: string, url: string, headers: Record<string, string>) {
  const latencies: number[] = [];
  let failures = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        try {
          const res = await fetch(url, { headers });
          await res.arrayBuffer();
          if (res.ok) latencies.push(performance.now() - t);
          else failures++;
        } catch {
          failures++;
        }
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  console.log(
    `${label.padEnd(22)} ${String(latencies.length).padStart(7)} req  ${(latencies.length / seconds).toFixed(0).padStart(6)} req/s` +
      `  median ${ms(percentile(latencies, 50))}  p90 ${ms(percentile(latencies, 90))}  p99 ${ms(percentile(latencies, 99))}` +
      `  max ${ms(latencies.at(-1) ?? Number.NaN)}  failed ${failures}`,
  );
}

function describeStart(label: string, wallMs: number, results: { ok: boolean; durationMs: number }[]) {
  const each = results.map((r) => r.durationMs).sort((a, b) => a - b);
  console.log(
    `${label.padEnd(22)} ${results.filter((r) => r.ok).length}/${results.length} ready in ${(wallMs / 1000).toFixed(1)} s` +
      `  (per VM: median ${(percentile(each, 50) / 1000).toFixed(1)} s, max ${((each.at(-1) ?? 0) / 1000).toFixed(1)} s)`,
  );
}

const root = mkdtempSync(join(tmpdir(), "nohead-bench-agent-"));
const stateDir = join(root, "agent-state");
const fixture = await fixtureInStore(await makeFixtureFleet(`{ ... }: { bench = { count = ${vmCount}; }; }`));
const tokenFile = join(root, "token");
const token = createTokenFile(tokenFile);
const agent = await spawnAgent(["--token-file", tokenFile, "--state-dir", stateDir]);
const remote = new ApiHost({ name: "bench", url: agent.url, token });
const local = Fleet.open({ cwd: fixture.projectDir });
console.log(
  `nohead agent benchmark: ${clients} clients, ${seconds} s per route, ${vmCount} fixture VMs, loopback`,
);

try {
  let t = performance.now();
  const viaAgent = await remote.start(fixture.manifest.machines);
  describeStart(`start ${vmCount} via agent`, performance.now() - t, viaAgent);

  const auth = { Authorization: `Bearer ${token}` };
  await load("GET /v1/health", `${agent.url}/v1/health`, {});
  await load(`GET /v1/vms (${vmCount} VMs)`, `${agent.url}/v1/vms`, auth);
  await load("GET /v1/vms/bench-1", `${agent.url}/v1/vms/bench-1`, auth);

  t = performance.now();
  await remote.stop();
  console.log(`${`stop ${vmCount} via agent`.padEnd(22)} ${((performance.now() - t) / 1000).toFixed(1)} s`);

  t = performance.now();
  const locally = await local.start(undefined);
  describeStart(`start ${vmCount} locally`, performance.now() - t, locally);
  t = performance.now();
  await local.stop();
  console.log(`${`stop ${vmCount} locally`.padEnd(22)} ${((performance.now() - t) / 1000).toFixed(1)} s`);
} finally {
  await new Fleet(projectAt(stateDir, stateDir), stateDir).stop();
  await local.stop().catch(() => []);
  await agent.kill("SIGTERM").catch(() => null);
  rmSync(root, { recursive: true, force: true });
  rmSync(fixture.projectDir, { recursive: true, force: true });
}
