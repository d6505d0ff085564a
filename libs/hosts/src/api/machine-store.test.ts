import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ManifestMachine } from "@nohead/schema";
import { sampleMachine } from "@nohead/schema/testing/sample-machine";
import { MachineStore } from "./machine-store.ts";

const machine = (name: string, runner = `/nix/store/aaa-${name}/bin/run`): ManifestMachine =>
  sampleMachine({
    name,
    baseName: name,
    forwards: [],
    health: {
      ...sampleMachine().health,
      ssh: false,
      deadlines: { startedSeconds: 30, bootedSeconds: 60, readySeconds: 60 },
    },
    runner,
    system: `/nix/store/aaa-${name}`,
  });

describe("the agent's saved machines", () => {
  test("start empty and write nothing until given machines", () => {
    const dir = mkdtempSync(join(tmpdir(), "nohead-store-"));
    const store = new MachineStore(dir);
    expect(store.manifest.machines).toEqual([]);
    expect(store.recovered).toBeNull();
    expect(readdirSync(dir)).toEqual([]);
  });

  test("merge by name (a new definition replaces the old), persist 0600, and reload", () => {
    const dir = mkdtempSync(join(tmpdir(), "nohead-store-"));
    const store = new MachineStore(dir);
    store.merge([machine("web"), machine("db")], { subnet: "10.213.0.0/16" });
    store.merge([machine("web", "/nix/store/bbb-web/bin/run")]);
    expect(store.manifest.machines.map((m) => [m.name, m.runner])).toEqual([
      ["db", "/nix/store/aaa-db/bin/run"],
      ["web", "/nix/store/bbb-web/bin/run"],
    ]);
    expect(statSync(store.file).mode & 0o777).toBe(0o600);
    const again = new MachineStore(dir);
    expect(again.manifest).toEqual(store.manifest);
    expect(again.manifest.network).toEqual({ subnet: "10.213.0.0/16" });
    again.forget("db");
    expect(new MachineStore(dir).manifest.machines.map((m) => m.name)).toEqual(["web"]);
    expect(readdirSync(dir)).toEqual(["manifest.json"]);
  });

  test("the SSH keys of each machine's last start are kept (0600), replaced, reloaded and forgotten", () => {
    const dir = mkdtempSync(join(tmpdir(), "nohead-store-"));
    const key = (n: number) => `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${"A".repeat(42)}${n} me@laptop`;
    const store = new MachineStore(dir);
    store.merge([machine("web"), machine("db")], undefined, [key(1)]);
    store.merge([machine("db")], undefined, [key(2), key(3)]);
    store.merge([machine("cache")]);
    expect(store.authorizedKeysOf("web")).toEqual([key(1)]);
    expect(store.authorizedKeysOf("db")).toEqual([key(2), key(3)]);
    expect(store.authorizedKeysOf("cache")).toEqual([]);
    expect(statSync(store.keysFile).mode & 0o777).toBe(0o600);
    const again = new MachineStore(dir);
    expect(again.authorizedKeysOf("db")).toEqual([key(2), key(3)]);
    again.merge([machine("web")]);
    again.forget("db");
    expect(JSON.parse(readFileSync(again.keysFile, "utf8"))).toEqual({});
  });

  test("unreadable saved keys are dropped, the machines kept", () => {
    const dir = mkdtempSync(join(tmpdir(), "nohead-store-"));
    new MachineStore(dir).merge([machine("web")]);
    writeFileSync(join(dir, "authorized-keys.json"), '{ "web": ["not a key"] }');
    const store = new MachineStore(dir);
    expect(store.authorizedKeysOf("web")).toEqual([]);
    expect(store.manifest.machines.map((m) => m.name)).toEqual(["web"]);
  });

  test("a corrupt file is moved aside and reported, not trusted", () => {
    const dir = mkdtempSync(join(tmpdir(), "nohead-store-"));
    writeFileSync(join(dir, "manifest.json"), "{ not json");
    const store = new MachineStore(dir);
    expect(store.manifest.machines).toEqual([]);
    expect(store.recovered).toMatch(
      /manifest\.json was unreadable \(.+\); moved to .+manifest\.json\.corrupt-\d+$/,
    );
    expect(existsSync(join(dir, "manifest.json"))).toBe(false);
    const moved = readdirSync(dir).find((f) => f.startsWith("manifest.json.corrupt-")) as string;
    expect(readFileSync(join(dir, moved), "utf8")).toBe("{ not json");
  });
});
