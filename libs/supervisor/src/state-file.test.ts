/**
 * The fast paths' schema-free check of state files gives the schema's verdict: for every field,
 * missing or of every wrong kind, nested or not, and for unknown fields.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VmState } from "@nohead/schema";
import { checkStateShape, readStateFile, STATE_FIELDS } from "./state-file.ts";
import { schemaCheck } from "./state-store.ts";

const VALID = {
  schemaVersion: 1,
  name: "web-1",
  pid: 4242,
  processStartTicks: "123456",
  startedAt: "2026-11-29T20:00:00.000Z",
  runner: "/nix/store/x-run-web-1-vm/bin/run-web-1-vm",
  system: "/nix/store/y-nixos-system",
  username: "nixy",
  display: "none",
  forwards: [{ name: "ssh", protocol: "tcp", guestPort: 22, hostPort: 2201, hostAddress: "127.0.0.1" }],
  sockets: { qmp: "/run/q", guestAgent: "/run/g", console: "/run/c" },
  consoleLog: "/p/.nohead/vms/web-1/console.log",
  disk: "/p/.nohead/vms/web-1/disk.qcow2",
  readiness: "ready",
  readyAt: "2026-11-29T20:00:05Z",
  health: [{ check: "ssh", ok: true, detail: "SSH-2.0-dropbear" }],
  initScript: "exited 0",
  failure: null,
  stop: { method: "powerdown", at: "2026-11-29T21:00:00.000Z", durationMs: 812 },
};

const verdicts = (value: unknown) => [schemaCheck(value) === null, checkStateShape(value) === null];

describe("checkStateShape agrees with the VmState schema", () => {
  test("it knows exactly the schema's fields", () => {
    expect<string[]>([...STATE_FIELDS]).toEqual(Object.keys(VmState.shape));
  });

  test("a valid state passes both", () => {
    expect(verdicts(VALID)).toEqual([true, true]);
    expect(verdicts({ ...VALID, pid: null, processStartTicks: null, readyAt: null, stop: null })).toEqual([
      true,
      true,
    ]);
  });

  const WRONG: unknown[] = [undefined, null, 0, -1, 1.5, "", "x", true, {}, [], "2026-11-29"];
  test.each([...STATE_FIELDS])("field %s: missing or of any wrong kind, the same verdict", (field) => {
    for (const wrong of WRONG) {
      const value: Record<string, unknown> = { ...VALID };
      if (wrong === undefined) delete value[field];
      else value[field] = wrong;
      const [schema, shape] = verdicts(value);
      expect({ field, wrong, shape }).toEqual({ field, wrong, shape: schema });
    }
  });

  test("nested values and unknown fields", () => {
    const cases: Record<string, unknown>[] = [
      { ...VALID, forwards: [{ ...VALID.forwards[0], extra: 1 }] },
      { ...VALID, forwards: [{ ...VALID.forwards[0], protocol: "sctp" }] },
      { ...VALID, health: [{ check: "ssh", ok: "yes", detail: "" }] },
      { ...VALID, sockets: { qmp: "/q", guestAgent: "/g" } },
      { ...VALID, stop: { ...VALID.stop, method: "nuked" } },
      { ...VALID, stop: { ...VALID.stop, at: "yesterday" } },
      { ...VALID, bogus: true },
      { ...VALID, schemaVersion: 2 },
      { ...VALID, name: "-bad-" },
    ];
    for (const value of cases) {
      const [schema, shape] = verdicts(value);
      expect({ value, shape }).toEqual({ value, shape: schema });
      expect(schema).toBe(false);
    }
  });
});

test("readStateFile only reads: missing, corrupt JSON, a wrong shape, a good one", () => {
  const dir = mkdtempSync(join(tmpdir(), "nohead-state-file-"));
  try {
    const file = join(dir, "state.json");
    expect(readStateFile(file)).toEqual({ kind: "missing" });
    writeFileSync(file, "{ nope");
    expect(readStateFile(file).kind).toBe("corrupt");
    writeFileSync(file, JSON.stringify({ ...VALID, pid: "1" }));
    expect(readStateFile(file)).toEqual({ kind: "corrupt", reason: "pid: unexpected value" });
    writeFileSync(file, JSON.stringify(VALID));
    expect(readStateFile(file)).toEqual({ kind: "ok", state: VALID as VmState });
    expect(readStateFile(file, schemaCheck)).toEqual({ kind: "ok", state: VALID as VmState });
    expect(Bun.file(file).size).toBe(JSON.stringify(VALID).length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
