import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeJsonAtomic } from "./write-json-atomic.ts";

const dir = mkdtempSync(join(tmpdir(), "nohead-json-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("replaces the file whole, mode 0600, leaving no temp file", () => {
  const file = join(dir, "state.json");
  writeFileSync(file, "old", { mode: 0o644 });
  writeJsonAtomic(file, { jobs: [{ id: 1 }] });
  expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ jobs: [{ id: 1 }] });
  expect(readFileSync(file, "utf8").endsWith("}\n")).toBe(true);
  expect(statSync(file).mode & 0o777).toBe(0o600);
  expect(readdirSync(dir)).toEqual(["state.json"]);
});
