/**
 * Every .nix file in the repository parses, the pure library's own Nix tests pass, and the Nix
 * side holds no placeholder: flake.lock locks nixpkgs, the package fetches the pinned Bun and
 * hands the runtime its nixpkgs and source, the project template takes nohead's flake reference.
 */
import { describe, expect, test } from "bun:test";
import { cpSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { identityKernelParams } from "@nohead/qemu";
import { Manifest, type ManifestMachine } from "@nohead/schema";
import { readPins } from "../scripts/node-modules-hash.ts";
import { makeBuildFlake } from "./support/build-flake.ts";
import { REPO_ROOT } from "./support/run-cli.ts";
import { testTempDir } from "./support/temp-dir.ts";

const nixFiles = [...new Bun.Glob("**/*.nix").scanSync({ cwd: REPO_ROOT })].filter(
  (f) => !f.startsWith("node_modules/") && !f.includes("/node_modules/") && !f.startsWith(".cache/"),
);

async function instantiate(args: string[]) {
  return run(["nix-instantiate", ...args]);
}

async function run(argv: string[]) {
  const child = Bun.spawn(argv, { cwd: REPO_ROOT, stdout: "pipe", stderr: "pipe" });
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

describe("one evaluation, one system, one runner per machine type (real nix build of the test flake)", () => {
  test("a type of count 3 is evaluated once and its three instances share its runner and system", async () => {
    const flake = makeBuildFlake();
    const out = join(flake, "out");
    const build = await run([
      "nix",
      "build",
      "--option",
      "substituters",
      "",
      "--out-link",
      out,
      `path:${flake}#counted`,
    ]);
    expect(build.code).toBe(0);
    // The flake's mkRunner traces each call: one per machine type, whatever its count.
    const evaluations = build.stderr.split("\n").filter((line) => line.includes("evaluating machine type"));
    expect(evaluations.map((line) => line.replace(/^trace: /, ""))).toEqual([
      "nohead-test-flake: evaluating machine type node",
      "nohead-test-flake: evaluating machine type solo",
    ]);

    const manifest = Manifest.parse(JSON.parse(readFileSync(join(out, "nohead-manifest.json"), "utf8")));
    const nodes = manifest.machines.filter((m) => m.baseName === "node");
    expect(nodes.map((m) => [m.name, m.index])).toEqual([
      ["node-1", 1],
      ["node-2", 2],
      ["node-3", 3],
    ]);
    expect(new Set(nodes.map((m) => m.runner)).size).toBe(1);
    expect(new Set(nodes.map((m) => m.system)).size).toBe(1);
    expect(nodes[0]?.runner).toMatch(/^\/nix\/store\/[a-z0-9]{32}-run-node-vm\/bin\/run-node-vm$/);
    // Identity stays per instance.
    expect(new Set(nodes.map((m) => m.network?.address)).size).toBe(3);
    expect(new Set(nodes.map((m) => m.network?.mac)).size).toBe(3);
    expect(nodes.every((m) => m.resources?.cores === 2 && m.resources.memoryMiB === 512)).toBe(true);
    const solo = manifest.machines.find((m) => m.name === "solo");
    expect(solo?.resources).toEqual({ cores: 1, memoryMiB: 1024 });
    expect(solo?.runner).not.toBe(nodes[0]?.runner);

    // Two runner derivations for four machines; the result depends on exactly those two.
    const drvPaths = await run(["nix", "eval", "--json", `path:${flake}#counted.nohead.drvPaths`]);
    expect(drvPaths.code).toBe(0);
    const byMachine = JSON.parse(drvPaths.stdout) as Record<string, string>;
    expect(Object.keys(byMachine)).toEqual(["node-1", "node-2", "node-3", "solo"]);
    expect(new Set(Object.values(byMachine)).size).toBe(2);
    const references = await run(["nix-store", "--query", "--references", readlinkSync(out)]);
    expect(references.stdout.trim().split("\n").sort()).toEqual(
      [nodes[0]?.system, solo?.system].sort() as string[],
    );

    // Started by hand, bin/run-node-2-vm boots the type's runner as node-2, on its own disk.
    const here = testTempDir("nohead-launcher-");
    const launch = (env: Record<string, string>) =>
      Bun.spawnSync([join(out, "bin", "run-node-2-vm")], {
        cwd: here,
        env: { PATH: "/usr/bin:/bin", ...env },
      })
        .stdout.toString()
        .split("\n");
    expect(launch({})).toEqual([
      "runner of node",
      "disk: ./node-2.qcow2",
      `kernel: ${identityKernelParams(nodes[1] as ManifestMachine, false).join(" ")}`,
      "",
    ]);
    expect(launch({ NIX_DISK_IMAGE: "/tmp/mine.qcow2", QEMU_KERNEL_PARAMS: "quiet" }).slice(1, 3)).toEqual([
      "disk: /tmp/mine.qcow2",
      `kernel: ${identityKernelParams(nodes[1] as ManifestMachine, false).join(" ")} quiet`,
    ]);
    expect(Bun.spawnSync([join(out, "bin", "run-node-1-vm")], { cwd: here }).stdout.toString()).toContain(
      "disk: ./node-1.qcow2",
    );
  }, 120_000);
});

describe("machine-identity.nix (stand-in lib)", () => {
  test("SSH takes keys only; the documented password stays for the console", async () => {
    const { code, stdout, stderr } = await instantiate([
      "--eval",
      "--strict",
      "--json",
      "-E",
      `let
        lib = { mkDefault = value: { default = value; }; unique = x: x; };
        module = import ./nix/modules/machine-identity.nix {
          inherit lib;
          pkgs = { vim = "vim"; htop = "htop"; };
          config = { nohead = { machine.baseName = "web"; environment = { }; }; };
          nohead.machineType = { username = "nixy"; guestForwards = [ ]; };
        };
      in { inherit (module.services.openssh) settings; password = module.users.users.nixy.initialPassword; }`,
    ]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      settings: {
        PasswordAuthentication: { default: false },
        KbdInteractiveAuthentication: { default: false },
      },
      password: { default: "nixos" },
    });
  });
});

describe("the run-time identity modules' guest scripts (stand-in lib, real bash)", () => {
  interface IdentityModules {
    addressScript: string;
    link: { matchConfig: { MACAddress: string }; linkConfig: { Name: string } };
    hosts: Record<string, string[]>;
    machineEnvScript: string;
    extraInit: string;
  }
  const evaluated = async () => {
    const { code, stdout, stderr } = await instantiate([
      "--eval",
      "--strict",
      "--json",
      "tests/fixtures/identity-modules/eval.nix",
    ]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    return JSON.parse(stdout) as IdentityModules;
  };
  /** Runs `script` with bash -e in `dir`, /proc/cmdline and /run replaced by files of `dir`. */
  const bash = (script: string, dir: string, env: Record<string, string> = {}) => {
    const body = script
      .replaceAll("/proc/cmdline", join(dir, "cmdline"))
      .replaceAll("/run/nohead", join(dir, "run"));
    const result = Bun.spawnSync(["bash", "-e", "-c", `ip() { echo "ip $*"; }\n${body}`], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    });
    return { code: result.exitCode, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
  };

  test("the private NIC: any of the type's MACs becomes nohead0; every machine is in /etc/hosts", async () => {
    const modules = await evaluated();
    expect(modules.link).toEqual({
      matchConfig: { MACAddress: "52:54:00:d5:00:0a 52:54:00:d5:00:0b" },
      linkConfig: { Name: "nohead0" },
    });
    expect(modules.hosts).toEqual({ "10.213.0.10": ["web-1"], "10.213.0.11": ["web-2"] });
  });

  test("the address comes from nohead.address= on the command line; anything else is refused", async () => {
    const { addressScript } = await evaluated();
    const dir = testTempDir("nohead-identity-");
    const withCmdline = (cmdline: string) => {
      writeFileSync(join(dir, "cmdline"), `${cmdline}\n`);
      return bash(addressScript, dir);
    };
    expect(withCmdline("console=ttyS0 nohead.address=10.213.0.11/16 nohead.mac=52:54:00:d5:00:0b")).toEqual({
      code: 0,
      stdout:
        "ip link set dev nohead0 up\nip address replace 10.213.0.11/16 dev nohead0\nnohead0: 10.213.0.11/16\n",
      stderr: "",
    });
    expect(withCmdline("console=ttyS0")).toEqual({
      code: 0,
      stdout: "no nohead.address= on the kernel command line: nohead0 left without an address\n",
      stderr: "",
    });
    for (const bad of ["10.213.0.11", "10.213.0.11/16;reboot", "*", "10.213.0.11/16/8"]) {
      const result = withCmdline(`nohead.address=${bad}`);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr).toContain("is not <ipv4>/<prefix length>: nohead0 left without an address");
    }
  });

  test("MACHINE_* from the manager's environment reach login shells, safe values only", async () => {
    const { machineEnvScript, extraInit } = await evaluated();
    const dir = testTempDir("nohead-identity-");
    const run = bash(machineEnvScript, dir, {
      MACHINE_NAME: "web-2",
      MACHINE_INDEX: "2",
      MACHINE_BASE_NAME: "web;touch pwned",
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      "ignoring MACHINE_BASE_NAME: only letters, digits, '.', '_' and '-' are allowed\n" +
        "MACHINE_TYPE was not given on the kernel command line\n",
    );
    const file = join(dir, "run", "machine-env");
    expect(readFileSync(file, "utf8")).toBe("export MACHINE_NAME=web-2\nexport MACHINE_INDEX=2\n");
    // What login shells run (environment.extraInit in NixOS's set-environment).
    const shell = Bun.spawnSync(
      [
        "sh",
        "-c",
        `${extraInit.replaceAll("/run/nohead", join(dir, "run"))}\necho "$MACHINE_NAME $MACHINE_INDEX"`,
      ],
      { env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } },
    );
    expect(shell.stdout.toString()).toBe("web-2 2\n");
  });
});

/** What `#` starts outside strings is a comment; good enough for a placeholder check per line. */
function withoutComments(source: string): string {
  return source
    .split("\n")
    .filter((line) => !line.trimStart().startsWith("#"))
    .join("\n");
}

describe("no placeholder on the Nix side", () => {
  test("no tracked .nix file holds a fake hash or the placeholder flake URL (outside comments)", async () => {
    const tracked = (await run(["git", "ls-files", "*.nix"])).stdout.trim().split("\n");
    expect(tracked).toContain("flake.nix");
    for (const file of tracked) {
      const code = withoutComments(await Bun.file(join(REPO_ROOT, file)).text());
      expect({
        file,
        placeholders: code.match(/fakeHash|fakeSha256|github:nohead\/nohead|sha256-A{43}=/g),
      }).toEqual({
        file,
        placeholders: null,
      });
    }
  });

  test("flake.lock locks nixpkgs (nixos-25.05) at a revision with its narHash, and Nix reads it offline", async () => {
    const lock = await Bun.file(join(REPO_ROOT, "flake.lock")).json();
    expect(lock.version).toBe(7);
    expect(lock.nodes.root.inputs).toEqual({ nixpkgs: "nixpkgs" });
    const { locked, original } = lock.nodes.nixpkgs;
    expect(original).toEqual({ owner: "NixOS", repo: "nixpkgs", ref: "nixos-25.05", type: "github" });
    expect(locked.type).toBe("github");
    expect(locked.rev).toMatch(/^[0-9a-f]{40}$/);
    expect(locked.narHash).toMatch(/^sha256-[A-Za-z0-9+/]{43}=$/);
    expect(locked.lastModified).toBeGreaterThan(0);

    // A copy as a path: flake, so Nix reads this lock file and nothing from git or the network.
    const dir = testTempDir("nohead-lock-");
    for (const file of ["flake.nix", "flake.lock"]) cpSync(join(REPO_ROOT, file), join(dir, file));
    const metadata = await run([
      "nix",
      "--extra-experimental-features",
      "nix-command flakes",
      "flake",
      "metadata",
      "--json",
      "--offline",
      "--option",
      "substituters",
      "",
      `path:${dir}`,
    ]);
    expect(metadata.code).toBe(0);
    expect(JSON.parse(metadata.stdout).locks.nodes.nixpkgs.locked).toEqual(locked);
  });

  test("the package fetches the pinned Bun per system and its wrapper hands the runtime nixpkgs and nohead's source", async () => {
    const pins = await readPins();
    const { stdout, code, stderr } = await instantiate([
      "--eval",
      "--strict",
      "--json",
      "--arg",
      "root",
      REPO_ROOT,
      "tests/fixtures/nix-package/stub-eval.nix",
    ]);
    expect(stderr.replace(/warning: .*\n/g, "")).toBe("");
    expect(code).toBe(0);
    const evaluated = JSON.parse(stdout);
    for (const [system, source] of Object.entries(pins.bun.sources)) {
      expect(evaluated.bun[system]).toEqual({
        version: pins.bun.version,
        url: `https://github.com/oven-sh/bun/releases/download/bun-v${pins.bun.version}/${source.asset}`,
        hash: source.hash,
        platforms: ["aarch64-linux", "x86_64-linux"],
      });
    }
    expect(evaluated.nodeModules).toEqual({ outputHash: pins.nodeModulesHash, outputHashMode: "recursive" });
    // The contract with the CLI: both set with --set-default (a user's own value wins).
    expect(evaluated.installPhase).toContain(
      "--set-default NOHEAD_PINNED_NIXPKGS /nix/store/22222222222222222222222222222222-nixpkgs-source",
    );
    expect(evaluated.installPhase).toContain(
      "--set-default NOHEAD_SOURCE /nix/store/33333333333333333333333333333333-nohead-source",
    );
    expect(evaluated.installPhase).toContain(
      "makeWrapper /nix/store/00000000000000000000000000000000-bun/bin/bun",
    );
  });

  test("the project template takes nohead's flake reference from init and nixpkgs from nohead's lock", async () => {
    const template = withoutComments(await Bun.file(join(REPO_ROOT, "nix/template/flake.nix")).text());
    expect(template).toContain('nohead.url = "@NOHEAD_FLAKE_REF@";');
    expect(template).toContain('nixpkgs.follows = "nohead/nixpkgs";');
    expect(template).not.toContain("nixpkgs.url");
  });

  test("a project from the template, its token replaced by nohead's reference, locks offline on nohead's nixpkgs", async () => {
    const dir = testTempDir("nohead-template-");
    const nohead = join(dir, "nohead");
    const project = join(dir, "project");
    for (const file of ["flake.nix", "flake.lock"]) cpSync(join(REPO_ROOT, file), join(nohead, file));
    const template = await Bun.file(join(REPO_ROOT, "nix/template/flake.nix")).text();
    await Bun.write(join(project, "flake.nix"), template.replace("@NOHEAD_FLAKE_REF@", `path:${nohead}`));
    const nix = ["nix", "--extra-experimental-features", "nix-command flakes"];
    const offline = ["--offline", "--option", "substituters", ""];
    const locked = await run([...nix, "flake", "lock", ...offline, `path:${project}`]);
    expect(locked.code).toBe(0);
    const lock = await Bun.file(join(project, "flake.lock")).json();
    const noheadLock = await Bun.file(join(REPO_ROOT, "flake.lock")).json();
    expect(lock.nodes.root.inputs).toEqual({ nixpkgs: ["nohead", "nixpkgs"], nohead: "nohead" });
    expect(lock.nodes.nohead.original).toEqual({ type: "path", path: nohead });
    expect(lock.nodes.nixpkgs.locked).toEqual(noheadLock.nodes.nixpkgs.locked);
  });

  test.skipIf(!Bun.which("systemd-escape"))(
    "nix/lib's escapeSystemdPath agrees with systemd-escape --path",
    async () => {
      const paths = [
        "nohead0",
        "priv-0",
        "/",
        "/foo//bar/baz/",
        ".x/y z",
        "a:b_c.d",
        "~/.ssh",
        "./x/./y",
        "a@b+c=d",
      ];
      const expression = `map (import ./nix/lib).systemd.escapeSystemdPath (builtins.fromJSON ''${JSON.stringify(paths)}'')`;
      const nix = await instantiate(["--eval", "--strict", "--json", "-E", expression]);
      expect(nix.code).toBe(0);
      const systemd = await Promise.all(
        paths.map(async (p) => (await run(["systemd-escape", "--path", p])).stdout.trim()),
      );
      expect(JSON.parse(nix.stdout)).toEqual(systemd);
    },
  );
});
