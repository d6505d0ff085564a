/** The CLI as a user meets it: help and its aliases, wrong commands and flags, exit codes. */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../../../tests/support/run-cli.ts";

describe("help", () => {
  test("help, h, -h, --help, whatisgoingon and no arguments print the same text", async () => {
    const outputs = await Promise.all(
      [[], ["help"], ["h"], ["-h"], ["--help"], ["whatisgoingon"]].map((a) => runCli(a)),
    );
    for (const o of outputs) {
      expect(o.exitCode).toBe(0);
      expect(o.stderr).toBe("");
      expect(o.stdout).toBe(outputs[0]?.stdout ?? "");
    }
    expect(outputs[0]?.stdout).toContain("Usage: nohead");
    for (const command of ["init", "plan", "build", "path"])
      expect(outputs[0]?.stdout).toContain(`  ${command}`);
  });

  test.each(["init", "plan", "build", "path"])("nohead %s --help describes the command", async (command) => {
    const { exitCode, stdout } = await runCli([command, "--help"]);
    expect(exitCode).toBe(0);
    expect(stdout).toContain(`Usage: nohead ${command}`);
  });
});

describe("usage errors exit with 2 and say what is wrong", () => {
  test("unknown command", async () => {
    const { exitCode, stderr } = await runCli(["bogus"]);
    expect(exitCode).toBe(2);
    expect(stderr).toContain("unknown command 'bogus'");
  });

  test("unknown flag", async () => {
    const { exitCode, stderr } = await runCli(["plan", "--bogus"]);
    expect(exitCode).toBe(2);
    expect(stderr).toContain("unknown option '--bogus'");
  });

  test("a bad --jobs value", async () => {
    const { exitCode, stderr } = await runCli(["build", "--jobs", "zero"]);
    expect(exitCode).toBe(2);
    expect(stderr).toContain('expected a positive integer, got "zero"');
  });
});

describe("configuration errors", () => {
  const dir = mkdtempSync(join(tmpdir(), "nohead-cli-"));
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };

  test("a missing file exits with 4 and names the file", async () => {
    const { exitCode, stderr } = await runCli(["plan", "-f", "nope/configs.nix"], { cwd: dir });
    expect(exitCode).toBe(4);
    expect(stderr).toContain("configuration file nope/configs.nix does not exist");
  });

  test("no configuration at all says how to give one", async () => {
    const { exitCode, stderr } = await runCli(["plan"], { cwd: dir });
    expect(exitCode).toBe(4);
    expect(stderr).toContain("no configuration found");
    expect(stderr).toContain("nohead init");
  });

  test("a syntax error shows the Nix message and the file and line, not a stack", async () => {
    const file = write("syntax.nix", "{ pkgs, ... }:\n{\n  a = { count = 1 }\n}\n");
    const { exitCode, stderr } = await runCli(["plan", "-f", file]);
    expect(exitCode).toBe(3);
    expect(stderr).toContain("syntax error, unexpected '}'");
    expect(stderr).toContain(`${file}:3:`);
    expect(stderr).not.toContain("    at ");
  });

  test("an unknown option is named with a suggestion", async () => {
    const file = write("unknown.nix", "{ ... }: { web = { cont = 2; }; }");
    const { exitCode, stderr } = await runCli(["plan", "-f", file]);
    expect(exitCode).toBe(3);
    expect(stderr).toContain('machine "web": unknown option "cont" (did you mean "count"?)');
  });

  test("a port clash names both machines and the port", async () => {
    const file = write(
      "clash.nix",
      "{ ... }: { a = { count = 2; firstHostSshPort = 2200; }; b = { firstHostSshPort = 2201; }; }",
    );
    const { exitCode, stderr } = await runCli(["plan", "-f", file]);
    expect(exitCode).toBe(3);
    expect(stderr).toContain(
      'host port 2201/tcp is used by both "a-2" (forward "ssh") and "b" (forward "ssh")',
    );
  });

  test("an unknown machine in dependsOn is named with the known ones", async () => {
    const file = write("deps.nix", '{ ... }: { app = { dependsOn = [ "dbb" ]; }; db = { }; }');
    const { exitCode, stderr } = await runCli(["plan", "-f", file]);
    expect(exitCode).toBe(3);
    expect(stderr).toContain(
      'machine "app": dependsOn names "dbb", which is not a machine of this configuration; known: app, db',
    );
  });

  test("every problem is reported at once", async () => {
    const file = write("many.nix", "{ ... }: { a = { count = -1; }; _bc = { }; }");
    const { exitCode, stderr } = await runCli(["plan", "-f", file]);
    expect(exitCode).toBe(3);
    expect(stderr).toContain("has 2 problem(s)");
    expect(stderr).toContain('machine "a": count must be a non-negative integer, got -1');
    expect(stderr).toContain('machine "_bc": the name is not a valid hostname');
  });
});

test("nohead path prints the directory holding nix/ and examples/", async () => {
  const { exitCode, stdout } = await runCli(["path"]);
  expect(exitCode).toBe(0);
  expect(await Bun.file(join(stdout.trim(), "nix/lib/default.nix")).exists()).toBe(true);
});
