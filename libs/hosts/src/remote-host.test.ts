import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateToken, serveAgent } from "@nohead/agent";
import { projectAt, vmPaths } from "@nohead/supervisor";
import { makeFixtureFleet } from "../../../tests/support/fixture-fleet.ts";
import { fixtureInStore } from "../../../tests/support/fixture-in-store.ts";
import { describeHostConformance } from "./host-conformance.ts";
import { RemoteHost } from "./remote-host.ts";

describeHostConformance("RemoteHost on a real agent", async () => {
  const fixture = await fixtureInStore(await makeFixtureFleet(`{ ... }: { api = { count = 2; }; }`));
  const stateDir = mkdtempSync(join(tmpdir(), "nohead-agent-"));
  const token = generateToken();
  // The fixture's runners are added to the store: the agent starts valid store paths only.
  const agent = serveAgent({ listen: "127.0.0.1:0", token, stateDir });
  const project = projectAt(stateDir, stateDir);
  return {
    host: new RemoteHost({ name: "lab", url: agent.url, token }),
    machines: fixture.manifest.machines,
    vmStateDir: (name) => vmPaths(project, name).dir,
    cleanup: async () => {
      await agent.stop();
      rmSync(stateDir, { recursive: true, force: true });
      rmSync(fixture.projectDir, { recursive: true, force: true });
    },
  };
});

describe("RemoteHost's ssh capability", () => {
  test("is there only when the hosts file gives the host's sshTarget (the jump for nohead ssh)", () => {
    const token = generateToken();
    const without = new RemoteHost({ name: "lab", url: "http://127.0.0.1:1", token });
    expect(without.capabilities.ssh).toBe(false);
    const withTarget = RemoteHost.fromHostsFile(
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
    expect(withTarget.capabilities).toEqual({ exec: true, logs: true, build: true, ssh: true });
    expect(withTarget.sshTarget).toBe("nix@lab");
    expect(withTarget.sshOptions).toEqual(["-p", "2222"]);
  });
});
