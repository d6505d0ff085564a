import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { noheadErrorOf } from "@nohead/schema/testing";
import { privateNetworkOf, projectAt } from "@nohead/supervisor";
import { openAgentFleet } from "./agent-fleet.ts";

const root = mkdtempSync(join(tmpdir(), "nohead-agent-fleet-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

test("with a client's network id, the agent's VMs join that project's network; sockets stay its own", () => {
  const client = projectAt("/home/me/web", "/home/me/web/.nohead");
  const [one, two] = ["one", "two"].map((name) => join(root, name));
  const agents = [one, two].map((dir) => openAgentFleet(dir as string, { networkId: client.id }).fleet);
  expect(agents.map((f) => privateNetworkOf(f.project))).toEqual([
    privateNetworkOf(client),
    privateNetworkOf(client),
  ]);
  expect(agents.map((f) => f.project.runtimeDir)).toEqual([
    projectAt(one as string, one as string).runtimeDir,
    projectAt(two as string, two as string).runtimeDir,
  ]);
  // Without one, each agent has its state dir's own network.
  const own = openAgentFleet(join(root, "own")).fleet.project;
  expect(own.id).toBe(projectAt(join(root, "own"), join(root, "own")).id);
  expect(noheadErrorOf(() => openAgentFleet(join(root, "bad"), { networkId: "xyz" })).kind).toBe("usage");
});
