/** `nohead build` with the real `nix build` (offline test flake, no nixpkgs). */
import { describe, expect, test } from "bun:test";
import { lstatSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { Manifest } from "@nohead/schema";
import { makeBuildFlake } from "../../../../tests/support/build-flake.ts";
import { runCli } from "../../../../tests/support/run-cli.ts";

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
    expect(web2?.runner).toMatch(/^\/nix\/store\/[a-z0-9]{32}-run-web-2-vm\/bin\/run-web-2-vm$/);
    expect(web2?.forwards).toEqual([
      { name: "ssh", protocol: "tcp", guestPort: 22, hostPort: 2201, hostAddress: "127.0.0.1" },
      { name: "tcp-80", protocol: "tcp", guestPort: 80, hostPort: null, hostAddress: "127.0.0.1" },
    ]);
    expect(web2?.dependsOn).toEqual(["db"]);
    expect(manifest.machines.find((m) => m.name === "db")?.username).toBe("postgres");
    // The runner the manifest names is the built one, and it runs.
    const run = Bun.spawnSync([web2?.runner ?? "/missing"]);
    expect(run.stdout.toString()).toBe("runner of web-2\n");
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

  test("an evaluation error is reported readably with a non-zero exit", async () => {
    const flake = makeBuildFlake();
    const { exitCode, stdout } = await runCli(["build", "-c", `path:${flake}#nonexistent`, "--json"], {
      cwd: flake,
    });
    expect(exitCode).toBe(1);
    const [build] = JSON.parse(stdout).builds;
    expect(build.error).toMatch(/does not provide attribute.*nonexistent/);
    expect(build.error).not.toContain("@nix");
  });
});
