/**
 * Materialises tests/fixtures/build-flake in a temp dir with nix/lib beside it and a fresh
 * nonce, so the real `nix build` runs offline and never reuses an earlier run's outputs.
 */
import { cpSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./run-cli.ts";
import { testTempDir } from "./temp-dir.ts";

/** A fresh copy of the test flake; returns its directory (use `path:<dir>#attr`). */
export function makeBuildFlake(): string {
  const dir = testTempDir("nohead-flake-");
  cpSync(join(REPO_ROOT, "tests/fixtures/build-flake"), dir, { recursive: true });
  cpSync(join(REPO_ROOT, "nix/lib"), join(dir, "lib"), { recursive: true });
  writeFileSync(join(dir, "nonce"), `${Date.now()}-${Math.random()}`);
  return dir;
}
