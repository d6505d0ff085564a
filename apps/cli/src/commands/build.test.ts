/** `nohead build` with the real `nix build` (offline test flake; a stand-in where nixpkgs is needed). */
import { describe, expect, test } from "bun:test";
import { lstatSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Manifest } from "@nohead/schema";
import { makeBuildFlake } from "../../../../tests/support/build-flake.ts";
import { REPO_ROOT, runCli } from "../../../../tests/support/run-cli.ts";
import { testTempDir } from "../../../../tests/support/temp-dir.ts";

describe("nohead build", () => {
  test("builds every machine, links the result, and the manifest passes the zod schema", async () => {
    const flake = makeBuildFlake();
    const { exitCode, stderr } = await runCli(
      ["build", "-c", `path:${flake}#default`, "-r", join(flake, "out")],
      {
        cwd: flake,
      },
    );
    expect(stderr).toBe("");
    expect(exitCode).toBe(0);
    const link = join(flake, "out");
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toStartWith("/nix/store/");
    const manifest = Manifest.parse(JSON.parse(readFileSync(join(link, "nohead-manifest.json"), "utf8")));
    expect(manifest.machines.map((m) => m.name)).toEqual(["db", "web-1", "web-2"]);
    const web2 = manifest.machines.find((m) => m.name === "web-2");
    // One runner for the type, shared by its instances.
    expect(web2?.runner).toMatch(/^\/nix\/store\/[a-z0-9]{32}-run-web-vm\/bin\/run-web-vm$/);
    expect(manifest.machines.find((m) => m.name === "web-1")?.runner).toBe(web2?.runner as string);
    expect(web2?.forwards).toEqual([
      { name: "ssh", protocol: "tcp", guestPort: 22, hostPort: 2201, hostAddress: "127.0.0.1" },
      { name: "tcp-80", protocol: "tcp", guestPort: 80, hostPort: null, hostAddress: "127.0.0.1" },
    ]);
    expect(web2?.dependsOn).toEqual(["db"]);
    expect(manifest.machines.find((m) => m.name === "db")?.username).toBe("postgres");
    // The runner the manifest names is the built one, and it runs.
    const run = Bun.spawnSync([web2?.runner ?? "/missing"]);
    expect(run.stdout.toString().split("\n")[0]).toBe("runner of web");
  });

  test("--json reports each machine; a failing machine fails the build and nothing is linked", async () => {
    const flake = makeBuildFlake();
    const { exitCode, stdout } = await runCli(
      ["build", "-c", `path:${flake}#broken`, "-r", join(flake, "out"), "--json"],
      {
        cwd: flake,
      },
    );
    expect(exitCode).toBe(1);
    const { builds } = JSON.parse(stdout);
    expect(builds).toHaveLength(1);
    expect(builds[0].resultLink).toBeNull();
    // Without --keep-going Nix may stop before "good" is built; "broken" fails either way.
    const broken = builds[0].failed.find((f: { machine: string }) => f.machine === "broken");
    expect(broken.error).toMatch(/run-broken-vm\.drv' failed with exit code 3/);
    expect(broken.stage).toBe("build");
    expect(broken.logTail).toContain("simulated failure for broken");
    expect(
      [...builds[0].built, ...builds[0].failed.map((f: { machine: string }) => f.machine)].sort(),
    ).toEqual(["broken", "good"]);
    expect(() => lstatSync(join(flake, "out"))).toThrow();
  });

  test("--keep-going links the machines that built, and only those", async () => {
    const flake = makeBuildFlake();
    const out = join(flake, "out");
    const { exitCode, stdout } = await runCli(
      ["build", "-c", `path:${flake}#broken`, "-r", out, "--keep-going", "--json"],
      { cwd: flake },
    );
    expect(exitCode).toBe(1);
    const [build] = JSON.parse(stdout).builds;
    expect(build.built).toEqual(["good"]);
    expect(build.resultLink).toBe(out);
    const manifest = Manifest.parse(JSON.parse(readFileSync(join(out, "nohead-manifest.json"), "utf8")));
    expect(manifest.machines.map((m) => m.name)).toEqual(["good"]);
  });

  test("several configurations build at once, each to its own link", async () => {
    const flake = makeBuildFlake();
    const out = join(flake, "res");
    const { exitCode, stdout } = await runCli(
      [
        "build",
        "-c",
        `path:${flake}#default`,
        "-c",
        `path:${flake}#broken`,
        "-r",
        out,
        "--keep-going",
        "--json",
      ],
      { cwd: flake },
    );
    expect(exitCode).toBe(1);
    const builds = JSON.parse(stdout).builds as { source: string; resultLink: string; built: string[] }[];
    const bySource = Object.fromEntries(builds.map((b) => [b.source, b]));
    expect(bySource[`path:${flake}#default`]?.resultLink).toBe(out);
    expect(bySource[`path:${flake}#default`]?.built).toEqual(["db", "web-1", "web-2"]);
    expect(bySource[`path:${flake}#broken`]?.resultLink).toBe(`${out}-2`);
  });

  test("piped, several configurations: each line names its configuration, and the last lines agree", async () => {
    const flake = makeBuildFlake();
    const out = join(flake, "res");
    const [good, broken] = [`path:${flake}#default`, `path:${flake}#broken`];
    const { exitCode, stdout } = await runCli(
      ["build", "-c", good, "-c", broken, "-r", out, "--keep-going"],
      {
        cwd: flake,
      },
    );
    expect(exitCode).toBe(1);
    const lines = stdout.trimEnd().split("\n");
    const machineLines = lines.filter((l) => l.startsWith("› "));
    expect(machineLines.length).toBeGreaterThan(0);
    for (const line of machineLines) expect(line).toMatch(new RegExp(`^› (${good}|${broken}): `));
    expect(lines.slice(-2)).toEqual([
      `✔ ${good}: 3 machine(s) → ${out}`,
      `✖ ${broken}: 1 failed (broken); the 1 built → ${out}-2`,
    ]);
  });

  test("an evaluation error is reported readably and exits 3, as a config error in plan does", async () => {
    const flake = makeBuildFlake();
    const { exitCode, stdout } = await runCli(["build", "-c", `path:${flake}#nonexistent`, "--json"], {
      cwd: flake,
    });
    expect(exitCode).toBe(3);
    const [build] = JSON.parse(stdout).builds;
    expect(build.errorStage).toBe("evaluation");
    expect(build.error).toMatch(/does not provide attribute.*nonexistent/);
    expect(build.error).not.toContain("@nix");
  });
});

describe("nohead build -f: nixpkgs and config errors", () => {
  /** No nixpkgs given anywhere, and downloads fail at once (as on a machine without network). */
  const NO_NIXPKGS = {
    NOHEAD_NIXPKGS: "",
    NOHEAD_PINNED_NIXPKGS: "",
    NIX_CONFIG: "download-attempts = 1\nsubstituters =",
    NIX_PATH: "nixpkgs=/nonexistent",
  };
  const STUB_NIXPKGS = join(REPO_ROOT, "tests/fixtures/stub-nixpkgs");

  function configsFile(text: string): string {
    const dir = testTempDir("nohead-build-f-");
    writeFileSync(join(dir, "configs.nix"), text);
    return join(dir, "configs.nix");
  }

  test("without nixpkgs: exit 4, what nohead looked for and every way to give it (never NIX_PATH or -I)", async () => {
    const file = configsFile("{ pkgs, ... }: { web = { }; }\n");
    const { exitCode, stdout, stderr } = await runCli(["build", "-f", file], { env: NO_NIXPKGS });
    expect(exitCode).toBe(4);
    expect(stdout).toBe("");
    const [message, hint] = stderr.split("\nhint: ");
    expect(message).toStartWith(
      "error: no nixpkgs to build with: --nixpkgs is not given, NOHEAD_NIXPKGS and NOHEAD_PINNED_NIXPKGS",
    );
    expect(message).toContain(
      `the nixpkgs pinned in ${join(REPO_ROOT, "flake.lock")} (github:NixOS/nixpkgs/`,
    );
    expect(message).toContain("is not in the Nix store and could not be fetched: unable to download");
    expect(hint).toContain("nix flake prefetch github:NixOS/nixpkgs/");
    expect(hint).toContain("--nixpkgs <path|flake-ref>");
    expect(hint).toContain("NOHEAD_NIXPKGS=<path|flake-ref>");
    expect(hint).toContain("-c flake#attr");
    expect(stderr).not.toMatch(/ -I\b|«string»|NIX_PATH/);
  });

  test("--nixpkgs naming a missing directory: exit 4 naming it", async () => {
    const file = configsFile("{ pkgs, ... }: { web = { }; }\n");
    const { exitCode, stderr } = await runCli(["build", "-f", file, "--nixpkgs", "./no-such-nixpkgs"], {
      env: NO_NIXPKGS,
    });
    expect(exitCode).toBe(4);
    expect(stderr).toContain("error: nixpkgs from --nixpkgs (./no-such-nixpkgs) does not exist");
  });

  test("a config error exits 3 as in plan and names the user's file and line", async () => {
    const file = configsFile("{ pkgs, ... }:\n{\n  web = { count = undefinedThing; };\n}\n");
    const { exitCode, stdout } = await runCli(["build", "-f", file, "--nixpkgs", STUB_NIXPKGS, "--json"], {
      env: NO_NIXPKGS,
    });
    expect(exitCode).toBe(3);
    const [build] = JSON.parse(stdout).builds;
    expect(build.errorStage).toBe("evaluation");
    expect(build.error).toStartWith("undefined variable 'undefinedThing'");
    expect(build.error).toContain(`at ${file}:3:19:`);
    // NOHEAD_NIXPKGS is used when there is no flag; the plain output names the file too.
    const plain = await runCli(["build", "-f", file], {
      env: { ...NO_NIXPKGS, NOHEAD_NIXPKGS: STUB_NIXPKGS },
    });
    expect(plain.exitCode).toBe(3);
    expect(`${plain.stdout}${plain.stderr}`).toContain(`at ${file}:3:19:`);
  });

  test("an error in nohead's generated expression never shows «string»", async () => {
    const notAFunction = testTempDir("nohead-bad-nixpkgs-");
    writeFileSync(join(notAFunction, "default.nix"), "{ lib = { }; }\n");
    const file = configsFile("{ pkgs, ... }: { web = { }; }\n");
    const { exitCode, stdout } = await runCli(["build", "-f", file, "--nixpkgs", notAFunction, "--json"], {
      env: NO_NIXPKGS,
    });
    expect(exitCode).toBe(3);
    const [build] = JSON.parse(stdout).builds;
    expect(build.error).toBe("attempt to call something which is not a function but a set");
  });
});

describe("nohead build of a flake whose inputs cannot be downloaded", () => {
  test("reports the download failure as such (stage fetch, exit 1), not as a config error", async () => {
    const flake = testTempDir("nohead-flake-inputs-");
    writeFileSync(
      join(flake, "flake.nix"),
      '{ inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05"; outputs = { self, nixpkgs }: { }; }\n',
    );
    const env = { NIX_CONFIG: "download-attempts = 1\nsubstituters =" };
    const json = await runCli(["build", "-c", `path:${flake}#default`, "--json"], { cwd: flake, env });
    expect(json.exitCode).toBe(1);
    const [build] = JSON.parse(json.stdout).builds;
    expect(build.errorStage).toBe("fetch");
    expect(build.error).toStartWith("unable to download 'https://api.github.com/");
    const plain = await runCli(["build", "-c", `path:${flake}#default`], { cwd: flake, env });
    expect(plain.exitCode).toBe(1);
    expect(`${plain.stdout}${plain.stderr}`).toContain("Nix could not download this flake's inputs");
  });
});
