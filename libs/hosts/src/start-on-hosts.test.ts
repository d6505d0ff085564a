/**
 * startOnHosts without booting VMs: an agent-builds host really builds the flake (real nix, real
 * agent) and starts what it built — the test flake's runners are tiny scripts, so their starts fail
 * fast and say so; a nix-copy host whose copy fails reports that and does not hold up the others.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ManifestMachine, NoheadError } from "@nohead/schema";
import { makeBuildFlake } from "../../../tests/support/build-flake.ts";
import { serveFlakeTarball } from "../../../tests/support/flake-tarball.ts";
import { buildFlake } from "./api/flake-build.ts";
import { generateToken } from "./api/token-file.ts";
import type { Host } from "./host.ts";
import type { HostDirectory } from "./open-hosts.ts";
import { ApiHost } from "./api-host.ts";
import { startOnHosts } from "./start-on-hosts.ts";
import { serveTestAgent } from "./testing/serve-test-agent.ts";

const scratch = mkdtempSync(join(tmpdir(), "nohead-start-on-hosts-"));
const flakeDir = makeBuildFlake();
const flake = `path:${flakeDir}#default`;
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
  rmSync(flakeDir, { recursive: true, force: true });
});

function directory(hosts: Host[]): HostDirectory {
  const byName = new Map(hosts.map((h) => [h.name, h]));
  return {
    declared: new Set([...byName.keys()].filter((n) => n !== "local")),
    get: (name) => byName.get(name) as Host,
    all: () => hosts,
  };
}

async function builtMachines(): Promise<ManifestMachine[]> {
  const { outcome, manifest } = await buildFlake(flake, join(scratch, "local", "builds"), () => undefined);
  expect(outcome.error).toBeNull();
  return manifest?.machines ?? [];
}

describe("starting a fleet on its hosts", () => {
  test("an agent-builds host builds the flake itself and starts what it built", async () => {
    const machines = await builtMachines();
    expect(machines.map((m) => m.name)).toEqual(["db", "web-1", "web-2"]);
    const stateDir = join(scratch, "agent");
    // Agents build only remote flakes their operator allows: the same flake, served on loopback.
    const served = await serveFlakeTarball(flakeDir);
    const agent = serveTestAgent({ stateDir, allowedFlakes: ["http://127.0.0.1:*/*"] });
    try {
      const lab = new ApiHost({
        name: "lab",
        url: agent.url,
        token: agent.token,
        closures: "agent-builds",
      });
      const reports = await startOnHosts(machines, directory([lab]), {
        override: "lab",
        flake: `${served.url}#default`,
      });
      expect(reports.map((r) => [r.host, r.error])).toEqual([["lab", null]]);
      const results = reports[0]?.results ?? [];
      // The test flake's runners print a line and exit: no QEMU, so each start fails and says why.
      expect(results.map((r) => [r.machine, r.ok])).toEqual([
        ["db", false],
        ["web-1", false],
        ["web-2", false],
      ]);
      expect(results.find((r) => r.machine === "web-1")?.error).toBe("not started: db is not ready");
      // The agent kept what it built and was asked to start.
      const listed = (await lab.status()).map((s) => s.name);
      expect(listed).toEqual(["db", "web-1", "web-2"]);
    } finally {
      served.stop();
      await agent.stop();
    }
  });

  test("a failed closure copy fails its host only", async () => {
    const machines = await builtMachines();
    const far: Host = new ApiHost({
      name: "far",
      url: "http://127.0.0.1:1",
      token: generateToken(),
      closures: "nix-copy",
      sshTarget: "nobody@127.0.0.1",
    });
    const env = process.env.NIX_SSHOPTS;
    process.env.NIX_SSHOPTS = "-p 1 -o BatchMode=yes -o ConnectTimeout=5";
    try {
      const reports = await startOnHosts(
        machines.map((m) => ({ ...m, host: "far" })),
        directory([far]),
      );
      expect(reports).toHaveLength(1);
      expect(reports[0]?.host).toBe("far");
      expect(reports[0]?.results).toEqual([]);
      // db's runner and the one web-1 and web-2 share.
      expect(reports[0]?.error).toStartWith(
        "host far: copying 2 store path(s) to host far (nobody@127.0.0.1) failed",
      );
    } finally {
      if (env === undefined) delete process.env.NIX_SSHOPTS;
      else process.env.NIX_SSHOPTS = env;
    }
  });

  test("an agent-builds host without a flake is a config error before anything starts", async () => {
    const machines = await builtMachines();
    const lab = new ApiHost({ name: "lab", url: "http://127.0.0.1:1", token: generateToken() });
    let error: unknown;
    try {
      await startOnHosts(machines, directory([lab]), { override: "lab" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NoheadError);
    expect((error as NoheadError).kind).toBe("config");
    expect((error as NoheadError).message).toBe(
      "host lab builds its machines itself, but these machines do not come from a flake",
    );
  });
});
