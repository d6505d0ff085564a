/**
 * The Nix package's pins agree with the repository: package.json asks for the Bun the flake
 * fetches, and the node_modules hash in nix/package/pins.nix is what the pinned Bun installs from
 * today's bun.lock (recomputed the way the flake builds it). Fails when bun.lock changes without
 * the hash, and says how to update it.
 */
import { describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import {
  findPinnedBun,
  missingBunHint,
  nodeModulesHash,
  readPins,
  updateHint,
} from "../scripts/node-modules-hash.ts";
import { REPO_ROOT } from "./support/run-cli.ts";

const pins = await readPins();
const packageJson = await Bun.file(join(REPO_ROOT, "package.json")).json();

/** The pinned Bun: found (CI installs it as `bun`), else installed once under node_modules/.cache. */
async function pinnedBun(): Promise<string> {
  const found = await findPinnedBun(pins.bun.version);
  if (found) return found;
  const prefix = join(REPO_ROOT, "node_modules/.cache", `bun-${pins.bun.version}`);
  const bun = join(prefix, "node_modules/.bin/bun");
  if (!(await Bun.file(bun).exists())) {
    mkdirSync(prefix, { recursive: true });
    const npm = Bun.spawn(["npm", "install", "--prefix", prefix, `bun@${pins.bun.version}`], {
      stdout: "ignore",
      stderr: "pipe",
    });
    if ((await npm.exited) !== 0)
      throw new Error(`${missingBunHint(pins.bun.version)}\n${await new Response(npm.stderr).text()}`);
  }
  return bun;
}

describe("the Nix package's pins", () => {
  test("package.json asks for exactly the Bun the flake fetches", () => {
    expect(packageJson.packageManager).toBe(`bun@${pins.bun.version}`);
    expect(packageJson.engines.bun).toBe(pins.bun.version);
    expect(packageJson.devDependencies["bun-types"]).toBe(pins.bun.version);
  });

  test("every pinned hash is a real SRI sha256 (no placeholder)", () => {
    const hashes = [pins.nodeModulesHash, ...Object.values(pins.bun.sources).map((s) => s.hash)];
    for (const hash of hashes) {
      expect(hash).toMatch(/^sha256-[A-Za-z0-9+/]{43}=$/);
      expect(hash).not.toMatch(/^sha256-A{43}=$/);
    }
    expect(Object.keys(pins.bun.sources).sort()).toEqual(["aarch64-linux", "x86_64-linux"]);
  });

  test("nodeModulesHash is what the pinned Bun installs from bun.lock, on every platform", async () => {
    const bun = await pinnedBun();
    const actual = await nodeModulesHash(bun);
    if (actual !== pins.nodeModulesHash) {
      throw new Error(`bun.lock (or the install step) changed without the Nix hash: ${updateHint(actual)}`);
    }
    // One hash serves x86_64 and aarch64: no production dependency is specific to an OS or CPU.
    expect(await nodeModulesHash(bun, ["--cpu=*", "--os=*"])).toBe(actual);
  }, 180_000);
});
