import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isInside } from "./agent-api.ts";
import { storePathProblem } from "./store-path.ts";

describe("store paths from clients", () => {
  const store = mkdtempSync(join(tmpdir(), "nohead-store-"));
  mkdirSync(join(store, "abc-run", "bin"), { recursive: true });
  writeFileSync(join(store, "abc-run", "bin", "run"), "");

  test("an existing path inside the store is accepted", () => {
    expect(storePathProblem(join(store, "abc-run", "bin", "run"), store)).toBeNull();
  });

  test("relative, outside, escaping or missing paths are refused with the reason", () => {
    expect(storePathProblem("abc-run/bin/run", store)).toBe(
      `must be an absolute path under ${store}, got abc-run/bin/run`,
    );
    expect(storePathProblem("/usr/bin/env", store)).toBe(
      `must be an absolute path under ${store}, got /usr/bin/env`,
    );
    expect(storePathProblem(`${store}/abc-run/../../etc`, store)).toBe(
      `must be an absolute path under ${store}, got ${store}/abc-run/../../etc`,
    );
    expect(storePathProblem(`${store}-evil/x`, store)).toBe(
      `must be an absolute path under ${store}, got ${store}-evil/x`,
    );
    expect(storePathProblem(`${store}/nope/bin/run`, store)).toBe(
      `${store}/nope/bin/run does not exist on the agent's host; copy the closure there first`,
    );
  });

  test("isInside refuses empty, . and .. segments and the directory itself", () => {
    expect(isInside("/nix/store/a/b", "/nix/store")).toBe(true);
    for (const p of [
      "/nix/store",
      "/nix/store/",
      "/nix/store//a",
      "/nix/store/./a",
      "/nix/store/a/../b",
      "/nix/storex/a",
    ]) {
      expect(isInside(p, "/nix/store")).toBe(false);
    }
  });
});
