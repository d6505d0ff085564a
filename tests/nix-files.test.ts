/** Every .nix file in the repository parses, and the pure library's own Nix tests pass. */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { REPO_ROOT } from "./support/run-cli.ts";

const nixFiles = [...new Bun.Glob("**/*.nix").scanSync({ cwd: REPO_ROOT })].filter(
  (f) => !f.startsWith("node_modules/") && !f.includes("/node_modules/") && !f.startsWith(".cache/"),
);

async function instantiate(args: string[]) {
  const child = Bun.spawn(["nix-instantiate", ...args], { cwd: REPO_ROOT, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { stdout, stderr, code };
}

describe("nix files", () => {
  test("the repository has the Nix files the design names", () => {
    for (const f of ["flake.nix", "nix/lib/default.nix", "nix/lib/tests.nix", "nix/build-config.nix"]) {
      expect(nixFiles).toContain(f);
    }
  });

  test.each(nixFiles)("%s parses", async (file) => {
    const { code, stderr } = await instantiate(["--parse", join(REPO_ROOT, file)]);
    expect(stderr.replace(/warning: .*\n/g, "")).toBe("");
    expect(code).toBe(0);
  });

  test("nix/lib/tests.nix: every pure-library test passes", async () => {
    const { code, stdout, stderr } = await instantiate(["--eval", "--strict", "--json", "nix/lib/tests.nix"]);
    expect(stderr.replace(/warning: .*\n/g, "")).toBe("");
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual([]);
  });
});
