import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { projectAt, vmPaths } from "@nohead/supervisor";
import { makeFixtureFleet } from "../../../tests/support/fixture-fleet.ts";
import { fixtureInStore } from "../../../tests/support/fixture-in-store.ts";
import { describeHostConformance } from "./host-conformance.ts";
import { generateToken } from "./api/token-file.ts";
import { ApiHost } from "./api-host.ts";
import { serveTestAgent, serveTestSupervisor } from "./testing/serve-test-agent.ts";

describeHostConformance("ApiHost on a real agent over TCP", async () => {
  const fixture = await fixtureInStore(await makeFixtureFleet(`{ ... }: { api = { count = 2; }; }`));
  const stateDir = mkdtempSync(join(tmpdir(), "nohead-agent-"));
  // The fixture's runners are added to the store: the agent starts valid store paths only.
  const agent = serveTestAgent({ stateDir });
  const project = projectAt(stateDir, stateDir);
  return {
    host: new ApiHost({ name: "lab", url: agent.url, token: agent.token }),
    machines: fixture.manifest.machines,
    vmStateDir: (name) => vmPaths(project, name).dir,
    cleanup: async () => {
      await agent.stop();
      rmSync(stateDir, { recursive: true, force: true });
      rmSync(fixture.projectDir, { recursive: true, force: true });
    },
  };
});

describeHostConformance("ApiHost on a supervisor's unix socket", async () => {
  const fixture = await makeFixtureFleet(`{ ... }: { web = { count = 2; }; }`);
  const stateDir = join(fixture.projectDir, ".nohead");
  const supervisor = serveTestSupervisor({ stateDir });
  const project = projectAt(fixture.projectDir, stateDir);
  return {
    host: supervisor.host,
    machines: fixture.manifest.machines,
    vmStateDir: (name) => vmPaths(project, name).dir,
    cleanup: async () => {
      await supervisor.stop();
      rmSync(fixture.projectDir, { recursive: true, force: true });
    },
  };
});

describe("ApiHost's ssh capability", () => {
  test("is there only when the hosts file gives the host's sshTarget (the jump for nohead ssh)", () => {
    const token = generateToken();
    const without = new ApiHost({ name: "lab", url: "http://127.0.0.1:1", token });
    expect(without.capabilities.ssh).toBe(false);
    const withTarget = ApiHost.fromHostsFile(
      {
        name: "lab",
        url: "http://127.0.0.1:1",
        tokenFile: "/t",
        closures: "nix-copy",
        sshTarget: "nix@lab",
        sshOptions: ["-p", "2222"],
        declaredIn: "/h.json",
      },
      () => token,
    );
    expect(withTarget.capabilities).toEqual({
      exec: true,
      logs: true,
      build: true,
      ssh: true,
      windows: false,
    });
    expect(withTarget.sshTarget).toBe("nix@lab");
    expect(withTarget.sshOptions).toEqual(["-p", "2222"]);
  });
});
