import { describe, expect, test } from "bun:test";
import { proxyCommandWord, sshJumpProxyCommand } from "./ssh-jump.ts";

/** What a shell makes of `command` once OpenSSH has turned `%%` back into `%`. */
function wordsAfterShell(command: string): string[] {
  const run = Bun.spawnSync(["sh", "-c", `printf '%s\\n' ${command.replaceAll("%%", "%")}`]);
  return run.stdout.toString().split("\n").slice(0, -1);
}

describe("the jump through a host's SSH", () => {
  test("is a ProxyCommand: the options, -W to the destination, --, the target; every word quoted", () => {
    expect(sshJumpProxyCommand("nix@lab", ["-p", "2222"])).toBe("ssh '-p' '2222' -W %h:%p -- 'nix@lab'");
    expect(sshJumpProxyCommand("nix@lab")).toBe("ssh -W %h:%p -- 'nix@lab'");
  });

  test("OpenSSH reads the words as options, then the target as the destination", () => {
    const command = sshJumpProxyCommand("nix@lab", ["-p", "2222", "-oLogLevel=ERROR"]);
    const config = Bun.spawnSync([
      "sh",
      "-c",
      `${command.replaceAll("%%", "%").replace("-W %h:%p ", "-G ")}`,
    ]);
    const lines = config.stdout.toString().split("\n");
    expect(lines).toContain("hostname lab");
    expect(lines).toContain("user nix");
    expect(lines).toContain("port 2222");
    expect(lines).toContain("loglevel ERROR");
  });

  test("words with spaces, quotes, shell syntax and % reach ssh intact", () => {
    const words = ["/keys/lab key's id", "$(touch /tmp/x)", "a;b|c&d`e`", 'say "hi"', "100%", "%r", "*"];
    const command = words.map(proxyCommandWord).join(" ");
    expect(command).toContain("'100%%'");
    expect(wordsAfterShell(command)).toEqual(words);
  });
});
