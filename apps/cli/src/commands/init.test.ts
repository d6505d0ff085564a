/** `nohead init`: a new project from the template and every example; never overwrites. */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { NIX_FEATURE_FLAGS } from "@nohead/nixgen";
import { REPO_ROOT, runCli } from "../../../../tests/support/run-cli.ts";
import { testTempDir } from "../../../../tests/support/temp-dir.ts";

/** Makes any download fail at once, as on a machine without network. */
const OFFLINE = { NIX_CONFIG: "download-attempts = 1\nsubstituters =" };

describe("nohead init", () => {
  test("creates flake.nix, configs.nix, .gitignore, secrets/ and every example, and the project plans offline", async () => {
    const parent = testTempDir("nohead-init-");
    const { exitCode, stdout } = await runCli(["init", "proj"], { cwd: parent, env: OFFLINE });
    expect(exitCode).toBe(0);
    const dir = join(parent, "proj");
    for (const f of ["flake.nix", "configs.nix", ".gitignore", "secrets/README.md"]) {
      expect(existsSync(join(dir, f))).toBe(true);
    }
    expect(readFileSync(join(dir, ".gitignore"), "utf8")).toContain("secrets");
    expect(readdirSync(join(dir, "examples")).sort()).toEqual(
      readdirSync(join(REPO_ROOT, "examples")).sort(),
    );
    expect(stdout).toMatch(/created \d+ file\(s\)/);
    expect(stdout).toContain(`flake.nix's nohead input: git+file:${REPO_ROOT}\n`);
    // No -f: plan reads ./configs.nix beside flake.nix with nohead's nix/lib, never the flake's
    // inputs (nixpkgs and nohead cannot be fetched here: NIX_CONFIG makes any download fail at once).
    const plan = await runCli(["plan", "--json"], { cwd: dir, env: OFFLINE });
    expect(plan.stderr).toBe("");
    expect(plan.exitCode).toBe(0);
    expect(JSON.parse(plan.stdout).machines.map((m: { name: string }) => m.name)).toEqual(["dev"]);
  });

  test("the flake's nohead input is the nohead that ran init, and Nix locks it", async () => {
    const parent = testTempDir("nohead-init-");
    expect((await runCli(["init", "proj"], { cwd: parent })).exitCode).toBe(0);
    const dir = join(parent, "proj");
    const flake = readFileSync(join(dir, "flake.nix"), "utf8");
    expect(flake).toContain(`url = "git+file:${REPO_ROOT}";`);
    expect(flake).not.toContain("@NOHEAD_FLAKE_REF@");
    // nixpkgs is replaced by a stand-in (it cannot be fetched here); nohead must resolve as written.
    const stub = testTempDir("nohead-stub-nixpkgs-");
    writeFileSync(join(stub, "flake.nix"), "{ outputs = _: { }; }\n");
    const lock = Bun.spawnSync(
      [
        "nix",
        ...NIX_FEATURE_FLAGS,
        "flake",
        "lock",
        `path:${dir}`,
        "--override-input",
        "nixpkgs",
        `path:${stub}`,
      ],
      { env: { ...process.env, ...OFFLINE }, stderr: "pipe" },
    );
    expect(lock.stderr.toString()).not.toContain("error:");
    expect(lock.exitCode).toBe(0);
    const nodes = JSON.parse(readFileSync(join(dir, "flake.lock"), "utf8")).nodes;
    expect(nodes.nohead.original).toEqual({ type: "git", url: `file:${REPO_ROOT}` });
    expect(nodes.nohead.locked.narHash).toMatch(/^sha256-/);
  });

  test("a packaged nohead (NOHEAD_SOURCE) writes its store path as the nohead input", async () => {
    const parent = testTempDir("nohead-init-");
    const source = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-source";
    const { exitCode, stdout } = await runCli(["init", "proj"], {
      cwd: parent,
      env: { NOHEAD_SOURCE: source },
    });
    expect(exitCode).toBe(0);
    expect(stdout).toContain(`flake.nix's nohead input: path:${source}\n`);
    expect(readFileSync(join(parent, "proj/flake.nix"), "utf8")).toContain(`url = "path:${source}";`);
  });

  test("never overwrites an existing file, and says which it kept", async () => {
    const dir = testTempDir("nohead-init-");
    mkdirSync(join(dir, "secrets"));
    writeFileSync(join(dir, "configs.nix"), "# mine\n");
    writeFileSync(join(dir, "secrets/README.md"), "mine too\n");
    const { exitCode, stdout } = await runCli(["init", dir]);
    expect(exitCode).toBe(0);
    expect(readFileSync(join(dir, "configs.nix"), "utf8")).toBe("# mine\n");
    expect(readFileSync(join(dir, "secrets/README.md"), "utf8")).toBe("mine too\n");
    expect(stdout).toContain("kept    configs.nix (already exists, not overwritten)");
    expect(stdout).toContain("kept    secrets/README.md (already exists, not overwritten)");
    expect(existsSync(join(dir, "flake.nix"))).toBe(true);
  });
});
