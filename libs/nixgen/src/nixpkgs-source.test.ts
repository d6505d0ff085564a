/** Which nixpkgs `build -f` uses, and fetching it by a flake.lock entry with the real Nix. */
import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { testTempDir } from "../../../tests/support/temp-dir.ts";
import { join } from "node:path";
import { NoheadError } from "@nohead/schema";
import { runNix } from "./nix-command.ts";
import { chooseNixpkgs, realiseNixpkgs } from "./nixpkgs-source.ts";

const dir = testTempDir("nohead-nixpkgs-");
const nixpkgsDir = join(dir, "my-nixpkgs");
mkdirSync(nixpkgsDir);
writeFileSync(join(nixpkgsDir, "default.nix"), `{ ... }: { nonce = "${Date.now()}-${Math.random()}"; }\n`);

function lockRoot(lock: unknown): string {
  const root = mkdtempSync(join(dir, "root-"));
  if (lock !== undefined) writeFileSync(join(root, "flake.lock"), JSON.stringify(lock));
  return root;
}

function lockOf(locked: Record<string, unknown>) {
  return { nodes: { pinned: { locked }, root: { inputs: { nixpkgs: "pinned" } } }, root: "root", version: 7 };
}

function thrown(f: () => unknown): NoheadError {
  try {
    f();
  } catch (error) {
    if (error instanceof NoheadError) return error;
    throw error;
  }
  throw new Error("did not throw");
}

describe("chooseNixpkgs", () => {
  const root = lockRoot(
    lockOf({ type: "github", owner: "NixOS", repo: "nixpkgs", rev: "a".repeat(40), narHash: "sha256-x" }),
  );

  test("--nixpkgs > NOHEAD_NIXPKGS > NOHEAD_PINNED_NIXPKGS > flake.lock", () => {
    const env = { NOHEAD_NIXPKGS: "github:a/b", NOHEAD_PINNED_NIXPKGS: "/nix/store/p-source" };
    expect(chooseNixpkgs({ flag: nixpkgsDir, env, cwd: dir, root })).toEqual({
      origin: "--nixpkgs",
      kind: "path",
      path: nixpkgsDir,
      label: nixpkgsDir,
    });
    expect(chooseNixpkgs({ flag: undefined, env, cwd: dir, root })).toEqual({
      origin: "NOHEAD_NIXPKGS",
      kind: "flake",
      ref: "github:a/b",
      label: "github:a/b",
    });
    expect(
      chooseNixpkgs({ flag: undefined, env: { NOHEAD_PINNED_NIXPKGS: nixpkgsDir }, cwd: dir, root }),
    ).toMatchObject({ origin: "NOHEAD_PINNED_NIXPKGS", kind: "path", path: nixpkgsDir });
    expect(chooseNixpkgs({ flag: undefined, env: {}, cwd: dir, root })).toMatchObject({
      origin: "flake.lock",
      kind: "locked",
      label: `${join(root, "flake.lock")} (github:NixOS/nixpkgs/${"a".repeat(40)})`,
    });
  });

  test("a relative directory that exists is a path; a word that does not is a flake reference", () => {
    expect(chooseNixpkgs({ flag: "my-nixpkgs", env: {}, cwd: dir, root })).toMatchObject({
      kind: "path",
      path: nixpkgsDir,
    });
    expect(chooseNixpkgs({ flag: "nixpkgs", env: {}, cwd: dir, root })).toMatchObject({
      kind: "flake",
      ref: "nixpkgs",
    });
  });

  test("a path that does not exist is an error naming where it came from", () => {
    const error = thrown(() =>
      chooseNixpkgs({ flag: undefined, env: { NOHEAD_NIXPKGS: "./gone" }, cwd: dir, root }),
    );
    expect(error.kind).toBe("not-found");
    expect(error.message).toBe(
      `nixpkgs from NOHEAD_NIXPKGS (./gone) does not exist (looked at ${join(dir, "gone")})`,
    );
    expect(error.hint).toStartWith("fix or unset NOHEAD_NIXPKGS; give one with `--nixpkgs <path|flake-ref>`");
  });

  test("nothing given and no usable flake.lock: says what it looked for and why the lock did not do", () => {
    for (const [lock, why] of [
      [undefined, "does not exist (only a checkout of nohead has one)"],
      [{ nodes: {} }, "has no locked nixpkgs input with a narHash"],
      [lockOf({ type: "github", owner: "NixOS" }), "has no locked nixpkgs input with a narHash"],
    ] as const) {
      const r = lockRoot(lock);
      const error = thrown(() => chooseNixpkgs({ flag: undefined, env: {}, cwd: dir, root: r }));
      expect(error.kind).toBe("not-found");
      expect(error.message).toBe(
        `no nixpkgs to build with: --nixpkgs is not given, NOHEAD_NIXPKGS and NOHEAD_PINNED_NIXPKGS (set by the packaged nohead) are not set, and ${join(r, "flake.lock")} ${why}`,
      );
      expect(error.hint).toContain("--nixpkgs <path|flake-ref>");
    }
  });
});

describe("realiseNixpkgs", () => {
  test("a directory without default.nix is refused", async () => {
    const error = await realiseNixpkgs({ origin: "--nixpkgs", kind: "path", path: dir, label: dir }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(NoheadError);
    expect(error.message).toBe(
      `nixpkgs from --nixpkgs (${dir}) is not a nixpkgs source: it has no default.nix`,
    );
  });

  test("a flake.lock entry already in the store is used offline, by its narHash", async () => {
    const added = await runNix("nix", ["store", "add-path", "--name", "source", nixpkgsDir]);
    const { stdout: narHash } = await runNix("nix", ["hash", "path", nixpkgsDir]);
    const locked = {
      type: "github",
      owner: "nobody",
      repo: "not-nixpkgs",
      rev: "0".repeat(40),
      narHash: narHash.trim(),
      lastModified: 1755471983,
    };
    const choice = chooseNixpkgs({ flag: undefined, env: {}, cwd: dir, root: lockRoot(lockOf(locked)) });
    expect(await realiseNixpkgs(choice)).toBe(added.stdout.trim());
  });

  test("a flake reference is fetched with Nix and gives its store path", async () => {
    const flake = mkdtempSync(join(dir, "flake-"));
    writeFileSync(join(flake, "flake.nix"), "{ outputs = _: { }; }\n");
    const path = await realiseNixpkgs({
      origin: "--nixpkgs",
      kind: "flake",
      ref: `path:${flake}`,
      label: "",
    });
    expect(path).toMatch(/^\/nix\/store\/[a-z0-9]{32}-source$/);
  });
});
