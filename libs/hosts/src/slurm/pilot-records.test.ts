import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { noheadErrorOf } from "@nohead/schema/testing";
import { type PilotRecord, readPilotRecords, removeJobDir, writePilotRecords } from "./pilot-records.ts";

const root = mkdtempSync(join(tmpdir(), "nohead-pilots-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const record = (dir: string, jobId = "12"): PilotRecord => ({
  jobId,
  dir,
  node: null,
  url: null,
  machines: ["web"],
  submittedAt: "2026-11-30T00:00:00.000Z",
});

describe("a Slurm host's job records", () => {
  test("round trip; no file is no job", () => {
    const dir = join(root, "round");
    mkdirSync(dir);
    expect(readPilotRecords(dir)).toEqual([]);
    writePilotRecords(dir, [record(join(dir, "0a1b2c3d"))]);
    expect(readPilotRecords(dir)).toEqual([record(join(dir, "0a1b2c3d"))]);
  });

  test("a corrupt or foreign file is a config error naming it, and is never overwritten", () => {
    const dir = join(root, "corrupt");
    mkdirSync(dir);
    const file = join(dir, "jobs.json");
    for (const text of ['{"jobs": [', '{"jobs": [{"jobId": "12"}]}', '{"jobs": [], "more": 1}']) {
      writeFileSync(file, text);
      const error = noheadErrorOf(() => readPilotRecords(dir));
      expect(error.kind).toBe("config");
      expect(error.message).toStartWith(`${file} `);
      expect(error.hint).toContain("squeue --me");
      expect(readFileSync(file, "utf8")).toBe(text);
    }
  });

  test("a record whose directory is not one of the host's own job directories is refused, and deletes nothing", () => {
    const dir = join(root, "foreign");
    mkdirSync(dir);
    const victim = join(root, "precious");
    mkdirSync(victim);
    writeFileSync(join(victim, "data"), "keep");
    for (const elsewhere of [
      victim,
      join(dir, "..", "precious"),
      join(dir, "0a1b2c3d", "..", "..", "precious"),
      dir,
    ]) {
      writePilotRecords(dir, [record(elsewhere)]);
      const error = noheadErrorOf(() => readPilotRecords(dir));
      expect(error.kind).toBe("config");
      expect(error.message).toContain(`names ${elsewhere} as job 12's directory`);
      expect(() => removeJobDir(dir, record(elsewhere))).toThrow();
    }
    expect(readFileSync(join(victim, "data"), "utf8")).toBe("keep");
    const own = join(dir, "0a1b2c3d");
    mkdirSync(own);
    removeJobDir(dir, record(own));
    expect(existsSync(own)).toBe(false);
  });
});
