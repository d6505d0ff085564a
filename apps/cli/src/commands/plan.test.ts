/** `nohead plan`: real Nix evaluation, no build, no nixpkgs. */
import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PlannedMachine } from "@nohead/schema";
import { z } from "zod";
import { makeBuildFlake } from "../../../../tests/support/build-flake.ts";
import { runCli } from "../../../../tests/support/run-cli.ts";

const PlanOutput = z.strictObject({ machines: z.array(PlannedMachine) });

describe("nohead plan", () => {
  const dir = mkdtempSync(join(tmpdir(), "nohead-plan-"));
  const configs = join(dir, "configs.nix");
  writeFileSync(
    configs,
    `{ pkgs, customArgs, ... }: {
      web = { count = 2; firstHostSshPort = 2200; forwardPorts = [ { name = "http"; guestPort = 80; hostPort = 8080; } ];
              dependsOn = [ "db" ]; nixos-config.environment.systemPackages = [ pkgs.hello ]; init.script = customArgs.script; };
      db = { username = "pg"; secrets.apiToken = "/srv/secrets/api-token"; };
      off = { count = 0; };
    }`,
  );
  writeFileSync(join(dir, "custom-args.nix"), `{ script = "echo hi"; }`);

  test("--json lists every instance with the manifest's field names, pkgs never forced", async () => {
    const { exitCode, stdout, stderr } = await runCli(["plan", "-f", configs, "--json"]);
    expect(stderr).toBe("");
    expect(exitCode).toBe(0);
    const { machines } = PlanOutput.parse(JSON.parse(stdout));
    expect(machines.map((m) => [m.name, m.baseName, m.index, m.username])).toEqual([
      ["db", "db", 1, "pg"],
      ["web-1", "web", 1, "nixy"],
      ["web-2", "web", 2, "nixy"],
    ]);
    const web2 = machines[2];
    expect(web2?.forwards).toEqual([
      { name: "ssh", protocol: "tcp", guestPort: 22, hostPort: 2201, hostAddress: "127.0.0.1" },
      { name: "http", protocol: "tcp", guestPort: 80, hostPort: 8081, hostAddress: "127.0.0.1" },
    ]);
    expect(web2?.dependsOn).toEqual(["db"]);
    expect(web2?.initScript).toBe(true);
    expect(web2?.health.initScript).toBe(true);
  });

  test("the table names machines, ports, dependencies and each secret's host path", async () => {
    const { exitCode, stdout } = await runCli(["plan", "-f", configs]);
    expect(exitCode).toBe(0);
    const lines = stdout.split("\n");
    expect(lines[0]).toMatch(/^NAME\s+TYPE\s+#\s+USER\s+SSH\s+FORWARDS\s+ADDRESS\s+DEPENDS ON\s+SECRETS$/);
    expect(lines.find((l) => l.startsWith("web-2"))).toMatch(
      /^web-2\s+web\s+2\s+nixy\s+2201\s+http 8081→80\/tcp\s+10\.213\.0\.12\s+db\s+-$/,
    );
    expect(lines.find((l) => l.startsWith("db "))).toMatch(
      /^db\s+db\s+1\s+pg\s+auto\s+-\s+10\.213\.0\.10\s+-\s+apiToken ← \/srv\/secrets\/api-token$/,
    );
  });

  test("finds configs.nix in the current directory without flags", async () => {
    const { exitCode, stdout } = await runCli(["plan", "--json"], { cwd: dir });
    expect(exitCode).toBe(0);
    expect(JSON.parse(stdout).machines).toHaveLength(3);
  });

  test("a flake attribute plans through its nohead.plan without building", async () => {
    const flake = makeBuildFlake();
    const { exitCode, stdout, stderr } = await runCli(["plan", "-c", `path:${flake}#default`, "--json"]);
    expect(stderr).toBe("");
    expect(exitCode).toBe(0);
    expect(JSON.parse(stdout).machines.map((m: { name: string }) => m.name)).toEqual([
      "db",
      "web-1",
      "web-2",
    ]);
  });

  test("a config error exits 3 with the file and line; --show-trace adds Nix's trace", async () => {
    const bad = join(dir, "bad.nix");
    writeFileSync(bad, "{ pkgs, ... }:\n{\n  web = { count = two; };\n}\n");
    const plain = await runCli(["plan", "-f", bad]);
    expect(plain.exitCode).toBe(3);
    expect(plain.stderr).toStartWith(`error: undefined variable 'two'\n\nat ${bad}:3:19:`);
    expect(plain.stderr).not.toContain("while evaluating");
    const traced = await runCli(["plan", "-f", bad, "--show-trace"]);
    expect(traced.exitCode).toBe(3);
    expect(traced.stderr).toContain(`at ${bad}:3:19:`);
    expect(traced.stderr).toContain("… while evaluating");
    expect(traced.stderr).not.toContain("«string»");
  });

  test("plan -c of a flake whose inputs cannot be downloaded: exit 1 and a hint, not a config error", async () => {
    const flake = join(dir, "flake-with-inputs");
    mkdirSync(flake);
    writeFileSync(
      join(flake, "flake.nix"),
      '{ inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05"; outputs = { self, nixpkgs }: { }; }\n',
    );
    const { exitCode, stderr } = await runCli(["plan", "-c", `path:${flake}#default`], {
      env: { NIX_CONFIG: "download-attempts = 1\nsubstituters =" },
    });
    expect(exitCode).toBe(1);
    expect(stderr).toStartWith("error: unable to download 'https://api.github.com/");
    expect(stderr).toContain("hint: Nix could not download what this needs; connect to the network once");
  });

  test("validation messages name the file the user gave, and nested options get a suggestion", async () => {
    writeFileSync(join(dir, "typo.nix"), '{ ... }: { web = { init.scrpt = "echo hi"; }; }');
    const { exitCode, stderr } = await runCli(["plan", "-f", "typo.nix"], { cwd: dir });
    expect(exitCode).toBe(3);
    expect(stderr).toContain("nohead: typo.nix has 1 problem(s):");
    expect(stderr).toContain(
      'machine "web": unknown option "init.scrpt" (did you mean "init.script"?); known: script',
    );
    expect(stderr).not.toContain("configs.nix");
  });

  test("plan takes one configuration", async () => {
    const { exitCode, stderr } = await runCli(["plan", "-f", configs, "-f", configs]);
    expect(exitCode).toBe(2);
    expect(stderr).toContain("plan takes one configuration at a time");
  });
});
