/**
 * One runner, three instances: a machine type of count 3 gets one fixture runner (as a real build
 * gets one NixOS runner), and the runtime gives each instance its identity at start through the
 * kernel command line (Contract 2). Each instance reports its own host name, MACHINE_* variables
 * and private address, and reaches the others by name over the private network. Slow: three VMs.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { makeRuntimeProject, type RuntimeProject, TEST_DEADLINES } from "../support/runtime-project.ts";

const NAMES = ["node-1", "node-2", "node-3"];
const SLOW = 240_000;

let project: RuntimeProject;

beforeAll(async () => {
  project = await makeRuntimeProject(`{ ... }: { node = { count = 3; ${TEST_DEADLINES} }; }`);
}, 60_000);

afterAll(async () => {
  if (!project) return;
  expect(await project.cleanup()).toEqual([]);
}, 120_000);

describe("three instances of one runner", () => {
  test("the manifest gives the three one runner and one system, and their own addresses", () => {
    const machines = project.manifest.machines;
    expect(machines.map((m) => m.name)).toEqual(NAMES);
    expect(new Set(machines.map((m) => m.runner)).size).toBe(1);
    expect(new Set(machines.map((m) => m.system)).size).toBe(1);
    expect(machines[0]?.runner).toEndWith("/run-node-vm");
    expect(new Set(machines.map((m) => m.network?.address)).size).toBe(3);
  });

  test(
    "each boots with its own host name, MACHINE_* variables and private address",
    async () => {
      const run = await project.cli(["runall", "-n"]);
      expect(run.exitCode).toBe(0);
      for (const m of project.manifest.machines) {
        // A login shell, as `nohead ssh <vm>` opens one: MACHINE_* come from the runtime's values.
        const ssh = await project.cli([
          "ssh",
          m.name,
          "sh -lc 'echo $(hostname) $MACHINE_NAME $MACHINE_INDEX $MACHINE_BASE_NAME $MACHINE_TYPE'",
        ]);
        expect(ssh.stderr).toBe("");
        expect(ssh.stdout).toBe(`${m.name} ${m.name} ${m.index} node virtual\n`);
        const address = await project.cli([
          "exec",
          m.name,
          "--",
          "ip",
          "-4",
          "-o",
          "addr",
          "show",
          "dev",
          "eth1",
        ]);
        expect(address.stdout).toContain(` ${m.network?.address}/16 `);
      }
    },
    SLOW,
  );

  test(
    "they reach each other by name over the private network",
    async () => {
      for (const [from, to] of [
        ["node-1", "node-2"],
        ["node-2", "node-3"],
        ["node-3", "node-1"],
      ] as const) {
        const address = project.manifest.machines.find((m) => m.name === to)?.network?.address;
        const ping = await project.cli(["exec", from, "--", "ping", "-c1", "-W3", to]);
        expect(ping.stdout).toContain(`PING ${to} (${address})`);
        expect(ping.stdout).toContain("1 packets transmitted, 1 packets received");
        expect(ping.exitCode).toBe(0);
      }
    },
    SLOW,
  );
});
