/** `nohead init`: a new project from the template and every example; never overwrites. */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../../../../tests/support/run-cli.ts";

describe("nohead init", () => {
  test("creates flake.nix, configs.nix, .gitignore, secrets/ and every example, and the project plans", async () => {
    const parent = mkdtempSync(join(tmpdir(), "nohead-init-"));
    const { exitCode, stdout } = await runCli(["init", "proj"], { cwd: parent });
    expect(exitCode).toBe(0);
    const dir = join(parent, "proj");
    for (const f of ["flake.nix", "configs.nix", ".gitignore", "secrets/README.md"]) {
      expect(existsSync(join(dir, f))).toBe(true);
    }
    expect(readFileSync(join(dir, ".gitignore"), "utf8")).toContain("secrets");
    expect(readdirSync(join(dir, "examples")).sort()).toEqual(
      readdirSync(join(import.meta.dir, "../../../../examples")).sort(),
    );
    expect(stdout).toMatch(/created \d+ file\(s\)/);
    const plan = await runCli(["plan", "-f", "configs.nix", "--json"], { cwd: dir });
    expect(plan.exitCode).toBe(0);
    expect(JSON.parse(plan.stdout).machines.length).toBeGreaterThan(0);
  });

  test("never overwrites an existing file, and says which it kept", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nohead-init-"));
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
