import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NoheadError } from "@nohead/schema";
import { splitSshArguments } from "../ssh-arguments.ts";
import { sshArgv } from "./ssh.ts";

const direct = { user: "nixy", address: "127.0.0.1", port: 2201, proxyCommand: null };

/** What the real OpenSSH client makes of `argv` (`ssh -G`: the configuration, no connection). */
function sshConfig(argv: string[]): string[] {
  const run = Bun.spawnSync(["ssh", "-G", ...argv.slice(1)], { stdout: "pipe", stderr: "pipe" });
  return run.stdout.toString().split("\n");
}

describe("nohead ssh's argv", () => {
  test("puts -- before the destination, the user's options before it and the command after", () => {
    const argv = sshArgv("/k", direct, ["-v", "-L", "8080:localhost:80", "uptime", "-p"]);
    expect(argv.slice(-7)).toEqual(["-v", "-L", "8080:localhost:80", "--", "nixy@127.0.0.1", "uptime", "-p"]);
    const config = sshConfig(argv);
    expect(config).toContain("user nixy");
    expect(config).toContain("port 2201");
    expect(config).toContain("localforward 8080 [localhost]:80");
  });

  test("refuses a user name that is an ssh option, and -- keeps OpenSSH from reading one anyway", () => {
    const dir = mkdtempSync(join(tmpdir(), "nohead-ssh-argv-"));
    try {
      const marker = join(dir, "pwned");
      const user = `-oProxyCommand=touch ${marker}`;
      let refused: unknown;
      try {
        sshArgv("/k", { ...direct, user }, []);
      } catch (error) {
        refused = error;
      }
      expect(refused).toBeInstanceOf(NoheadError);
      expect((refused as NoheadError).message).toContain("is not a login name");
      // The attack as it ran before: the destination element read as `-o ProxyCommand=…`.
      const old = ["ssh", "-p", "1", "-o", "ConnectTimeout=2", `${user}@127.0.0.1`, "true"];
      Bun.spawnSync(old, { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
      expect(existsSync(`${marker}@127.0.0.1`)).toBe(true);
      // With `--` before it, OpenSSH takes it as a destination and refuses the user name.
      const fixed = ["ssh", "-p", "1", "-o", "ConnectTimeout=2", "--", `${user}@127.0.0.1`, "true"];
      rmSync(`${marker}@127.0.0.1`);
      const run = Bun.spawnSync(fixed, { stdin: "ignore", stdout: "ignore", stderr: "pipe" });
      expect(run.exitCode).not.toBe(0);
      expect(existsSync(`${marker}@127.0.0.1`)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("splitting the user's ssh arguments", () => {
  test("options up to the first other word or --, values attached or next, clusters", () => {
    expect(splitSshArguments([])).toEqual({ options: [], command: [] });
    expect(splitSshArguments(["uptime", "-v"])).toEqual({ options: [], command: ["uptime", "-v"] });
    expect(splitSshArguments(["--", "-v"])).toEqual({ options: [], command: ["-v"] });
    expect(splitSshArguments(["-tt", "-oLogLevel=DEBUG", "top"])).toEqual({
      options: ["-tt", "-oLogLevel=DEBUG"],
      command: ["top"],
    });
    expect(splitSshArguments(["-vL", "8080:x:80", "ls"])).toEqual({
      options: ["-vL", "8080:x:80"],
      command: ["ls"],
    });
    expect(splitSshArguments(["-vL8080:x:80", "ls"])).toEqual({ options: ["-vL8080:x:80"], command: ["ls"] });
    expect(splitSshArguments(["-p", "22", "--", "sh", "-c", "x"])).toEqual({
      options: ["-p", "22"],
      command: ["sh", "-c", "x"],
    });
  });
});
