/**
 * The template's compat-envs/python-fhs.nix, where no-headache projects have it: evaluated with
 * stand-ins for the few nixpkgs functions it calls (no nixpkgs here), and its commands run with
 * bash and the host's Python, as `python-fhs -c '…'` runs them inside the environment.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./support/run-cli.ts";
import { testTempDir } from "./support/temp-dir.ts";

const COMPAT = join(REPO_ROOT, "nix/template/compat-envs");

async function run(argv: string[], options: { cwd?: string; env?: Record<string, string | undefined> } = {}) {
  const child = Bun.spawn(argv, {
    cwd: options.cwd ?? REPO_ROOT,
    env: options.env,
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { stdout, stderr, code };
}

// Packages are their names; appimageTools.defaultFhsEnvArgs has one target and two libraries.
const STUB_PKGS = `
  let
    names = [ "gcc" "glibc" "zlib" "gtk3" "libx11" ];
    p = builtins.listToAttrs (map (n: { name = n; value = n; }) names) // {
      stdenv.cc.cc.lib = "libstdc++";
      python3 = { withPackages = f: "python3-with-" + toString (builtins.length (f { })); };
      python3Packages.pip = "pip";
    };
  in p // {
    appimageTools.defaultFhsEnvArgs = { targetPkgs = q: [ q.gtk3 ]; multiPkgs = q: [ q.libx11 q.zlib ]; };
    writeShellScriptBin = name: text: { inherit name; scriptLength = builtins.stringLength text; };
    buildFHSEnv = args: args // { targetPkgs = args.targetPkgs p; multiPkgs = args.multiPkgs p; };
  }`;

describe("compat-envs/python-fhs.nix", () => {
  test("keeps appimageTools' libraries and adds glibc, gcc, zlib, libstdc++, Python, pip and the venv commands", async () => {
    const { stdout, stderr, code } = await run([
      "nix-instantiate",
      "--eval",
      "--strict",
      "--json",
      "-E",
      `import ${COMPAT}/python-fhs.nix { pkgs = ${STUB_PKGS}; }`,
    ]);
    expect(stderr.replace(/warning: .*\n/g, "")).toBe("");
    expect(code).toBe(0);
    const env = JSON.parse(stdout);
    expect(env.name).toBe("python-fhs");
    expect(env.runScript).toBe("bash");
    expect(env.multiPkgs).toEqual(["libx11", "zlib"]);
    const names = env.targetPkgs.map((p: string | { name: string }) => (typeof p === "string" ? p : p.name));
    expect(names).toEqual([
      "gcc",
      "glibc",
      "zlib",
      "libstdc++",
      "python3-with-0",
      "pip",
      "init-python-venv",
      "venv-setup",
    ]);
    for (const p of env.targetPkgs.filter((p: unknown) => typeof p === "object"))
      expect(p.scriptLength).toBeGreaterThan(100);
  });

  test("the project template ships it where no-headache has it, and the python example imports it", async () => {
    expect(existsSync(join(REPO_ROOT, "nix/template/compat-envs/python-fhs.nix"))).toBe(true);
    const example = await Bun.file(join(REPO_ROOT, "examples/python/configs.nix")).text();
    expect(example).toContain("import ../../compat-envs/python-fhs.nix { inherit pkgs; }");
    expect(example).toContain("init-python-venv -r ~/requirements.txt");
    // In this repository too: compat-envs at the root is the template's.
    expect(existsSync(join(REPO_ROOT, "compat-envs/python-fhs.nix"))).toBe(true);
  });
});

describe("init-python-venv (no-headache's command)", () => {
  // `python` as the FHS environment has it.
  function sandbox() {
    const dir = testTempDir("nohead-venv-");
    mkdirSync(join(dir, "bin"));
    symlinkSync(Bun.which("python3") ?? "/usr/bin/python3", join(dir, "bin/python"));
    mkdirSync(join(dir, "project"));
    writeFileSync(join(dir, "project/requirements.txt"), "# nothing to download\n");
    return { dir, env: { ...process.env, PATH: `${join(dir, "bin")}:${process.env.PATH}` } };
  }

  test("creates ./venv, installs -r FILE with its pip, and keeps the venv on the next run", async () => {
    const { dir, env } = sandbox();
    const cwd = join(dir, "project");
    const first = await run(["bash", join(COMPAT, "init-python-venv.sh"), "-r", "requirements.txt"], {
      cwd,
      env,
    });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`creating a venv in ${cwd}/venv`);
    expect(first.stdout).toContain("venv ready: source venv/bin/activate");
    expect(existsSync(join(cwd, "venv/bin/pip"))).toBe(true);

    const again = await run(["bash", join(COMPAT, "init-python-venv.sh")], { cwd, env });
    expect(again.code).toBe(0);
    expect(again.stdout).not.toContain("creating");
  }, 120_000);

  test("an unknown option or -r without a file exits 2 with the usage", async () => {
    const { dir, env } = sandbox();
    const cwd = join(dir, "project");
    for (const args of [["--bogus"], ["-r"]]) {
      const result = await run(["bash", join(COMPAT, "init-python-venv.sh"), ...args], { cwd, env });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain("Usage: init-python-venv [-r|--requirements FILE]");
      expect(existsSync(join(cwd, "venv"))).toBe(false);
    }
  });

  test("venv-setup DIR [FILE] does the same in DIR", async () => {
    const { dir, env } = sandbox();
    const target = join(dir, "shared/venv");
    const result = await run(
      ["bash", join(COMPAT, "venv-setup.sh"), target, join(dir, "project/requirements.txt")],
      {
        env,
      },
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`venv ready: source ${target}/bin/activate`);
    expect(existsSync(join(target, "bin/python"))).toBe(true);
  }, 120_000);
});
