/**
 * Loaded before every test file (bunfig.toml): removes the suite's temp dirs at the end, turns
 * colours off, and makes Nix work offline here. No binary cache
 * (there is no network), flakes on, and — when running as root without Nix's build users, as on a
 * fresh CI machine with Debian's nix-bin — no build users and no sandbox (the sandbox has no /bin/sh
 * for the nixpkgs-free test derivations).
 */
import { afterAll } from "bun:test";
import { execFileSync } from "node:child_process";
import { removeTestTempDirs } from "./support/temp-dir.ts";

function hasGroup(name: string): boolean {
  try {
    execFileSync("getent", ["group", name], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const lines = ["substituters =", "experimental-features = nix-command flakes"];
if (process.getuid?.() === 0 && !hasGroup("nixbld")) lines.push("build-users-group =", "sandbox = false");
process.env.NIX_CONFIG = [process.env.NIX_CONFIG, ...lines].filter(Boolean).join("\n");

// No colours: picocolors takes CI=true for a colour terminal, and the tests read plain text (a test
// that wants colours sets FORCE_COLOR itself). Children get it where they are given process.env
// (Bun.spawn without `env` passes the environment the test process started with).
process.env.NO_COLOR = "1";

// Global teardown: the temp dirs the support helpers made (fixture fleets, test flakes).
afterAll(removeTestTempDirs);
