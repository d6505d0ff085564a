import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiHost } from "./api-host.ts";
import { statusOfHosts } from "./status-of-hosts.ts";
import { serveTestSupervisor } from "./testing/serve-test-agent.ts";

describe("status over several hosts", () => {
  test("VMs are tagged with their host and sorted; an unreachable host is reported, not fatal", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nohead-status-"));
    for (const name of ["web-2", "db"]) mkdirSync(join(dir, "vms", name), { recursive: true });
    const supervisor = serveTestSupervisor({ stateDir: dir });
    const local = supervisor.host;
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    const gone = new ApiHost({ name: "lab", url: "http://127.0.0.1:1", token: "x".repeat(40) });
    const { vms, unreachable } = await statusOfHosts([local, gone]);
    expect(vms.map((v) => [v.host, v.name, v.condition])).toEqual([
      ["local", "db", "not-started"],
      ["local", "web-2", "not-started"],
    ]);
    expect(unreachable).toHaveLength(1);
    expect(unreachable[0]?.host).toBe("lab");
    expect(unreachable[0]?.error).toStartWith("cannot reach host lab (http://127.0.0.1:1):");
    await supervisor.stop();
  });
});
