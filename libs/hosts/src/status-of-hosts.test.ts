import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Fleet, projectAt } from "@nohead/supervisor";
import { LocalHost } from "./local-host.ts";
import { RemoteHost } from "./remote-host.ts";
import { statusOfHosts } from "./status-of-hosts.ts";

describe("status over several hosts", () => {
  test("VMs are tagged with their host and sorted; an unreachable host is reported, not fatal", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nohead-status-"));
    for (const name of ["web-2", "db"]) mkdirSync(join(dir, "vms", name), { recursive: true });
    const local = new LocalHost(new Fleet(projectAt(dir, dir), join(dir, "result")));
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    const gone = new RemoteHost({ name: "lab", url: "http://127.0.0.1:1", token: "x".repeat(40) });
    const { vms, unreachable } = await statusOfHosts([local, gone]);
    expect(vms.map((v) => [v.host, v.name, v.condition])).toEqual([
      ["local", "db", "not-started"],
      ["local", "web-2", "not-started"],
    ]);
    expect(unreachable).toHaveLength(1);
    expect(unreachable[0]?.host).toBe("lab");
    expect(unreachable[0]?.error).toStartWith("cannot reach the agent of host lab at http://127.0.0.1:1:");
  });
});
