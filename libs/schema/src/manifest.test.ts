import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { manifestJsonSchema } from "./json-schema.ts";
import { Manifest, PlannedMachine, UserName } from "./manifest.ts";
import { sampleMachine } from "./testing/sample-machine.ts";

const machine = sampleMachine({
  name: "web-1",
  network: { address: "10.213.0.10", prefixLength: 16, mac: "52:54:00:d5:00:0a" },
  runner: "/nix/store/x-run-web-1-vm/bin/run-web-1-vm",
  system: "/nix/store/x-nixos-system-web-1",
});
const manifest = { schemaVersion: 1, network: { subnet: "10.213.0.0/16" }, machines: [machine], images: [] };

describe("manifest schema", () => {
  test("docs/manifest.schema.json is exactly what the zod schema generates (run scripts/generate-schemas.ts)", () => {
    const pinned = JSON.parse(
      readFileSync(join(import.meta.dir, "../../../docs/manifest.schema.json"), "utf8"),
    );
    expect(pinned).toEqual(manifestJsonSchema());
  });

  test("accepts a complete manifest", () => {
    expect(Manifest.parse(manifest)).toEqual(manifest as never);
  });

  test("accepts machine names with `_` inside, as NixOS's hostName and no-headache do", () => {
    const named = { ...manifest, machines: [{ ...machine, name: "my_vm-2", baseName: "my_vm" }] };
    expect(Manifest.safeParse(named).success).toBe(true);
  });

  test("a manifest built before health intervals and restart policies gets their defaults", () => {
    const { restart: _r, ...older } = machine;
    const { intervalSeconds: _i, timeoutSeconds: _t, retries: _n, ...olderHealth } = machine.health;
    const parsed = Manifest.parse({ ...manifest, machines: [{ ...older, health: olderHealth }] });
    expect(parsed.machines[0]?.restart).toBe("no");
    expect(parsed.machines[0]?.health).toEqual(machine.health);
  });

  test("rejects unknown fields, relative runners, bad names and a future schema version", () => {
    const bad = [
      { ...manifest, extra: 1 },
      { ...manifest, schemaVersion: 2 },
      { ...manifest, machines: [{ ...machine, runner: "bin/run" }] },
      { ...manifest, machines: [{ ...machine, name: "_web" }] },
      { ...manifest, machines: [{ ...machine, name: "web_" }] },
      { ...manifest, machines: [{ ...machine, name: "web.1" }] },
      { ...manifest, machines: [{ ...machine, restart: "sometimes" }] },
      { ...manifest, machines: [{ ...machine, health: { ...machine.health, retries: 0 } }] },
      { ...manifest, machines: [{ ...machine, forwards: [{ ...machine.forwards[0], hostPort: 70000 }] }] },
      { ...manifest, machines: [{ ...machine, resources: { cores: 1, memoryMiB: 512, gpus: 1 } }] },
    ];
    for (const value of bad) {
      const result = Manifest.safeParse(value);
      expect(result.success).toBe(false);
    }
  });

  test("a username is a login name: no-headache's defaults pass, an option or a second word does not", () => {
    for (const name of ["nixy", "userrr", "_svc", "a", "build-1", "x".repeat(32)]) {
      expect(UserName.safeParse(name).success).toBe(true);
    }
    // The first one, as `user@host` in ssh's argv, ran a local command through OpenSSH.
    const hostile = [
      "-oProxyCommand=touch /tmp/x",
      "-l",
      "root@evil",
      "a b",
      "Nixy",
      "1abc",
      "",
      "x".repeat(33),
    ];
    for (const name of hostile) {
      expect(UserName.safeParse(name).success).toBe(false);
      expect(Manifest.safeParse({ ...manifest, machines: [{ ...machine, username: name }] }).success).toBe(
        false,
      );
    }
  });

  test("a planned machine is a manifest machine without runner and system", () => {
    const { runner: _r, system: _s, ...planned } = machine;
    expect(PlannedMachine.safeParse(planned).success).toBe(true);
    expect(PlannedMachine.safeParse(machine).success).toBe(false);
  });
});
