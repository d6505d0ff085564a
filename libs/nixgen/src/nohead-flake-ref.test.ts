/** Which flake reference `nohead init` writes for the nohead that runs. */
import { describe, expect, test } from "bun:test";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { testTempDir } from "../../../tests/support/temp-dir.ts";
import { join } from "node:path";
import { noheadFlakeRef } from "./nohead-flake-ref.ts";

describe("noheadFlakeRef", () => {
  const root = testTempDir("nohead ref-");

  test("the packaged CLI's source store path wins", () => {
    expect(noheadFlakeRef({ NOHEAD_SOURCE: "/nix/store/abc-source" }, root)).toBe(
      "path:/nix/store/abc-source",
    );
  });

  test("a directory outside git is a path: reference (spaces encoded)", () => {
    expect(noheadFlakeRef({}, root)).toBe(`path:${root.replace(" ", "%20")}`);
  });

  test("a git clone (.git directory) or worktree (.git file) is git+file:", () => {
    mkdirSync(join(root, ".git"));
    expect(noheadFlakeRef({}, root)).toBe(`git+file:${root.replace(" ", "%20")}`);
    rmSync(join(root, ".git"), { recursive: true });
    writeFileSync(join(root, ".git"), "gitdir: /elsewhere\n");
    expect(noheadFlakeRef({}, root)).toBe(`git+file:${root.replace(" ", "%20")}`);
  });
});
