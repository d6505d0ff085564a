/**
 * A real OpenSSH server for tests (`/usr/sbin/sshd -D -e`, from Debian's openssh-server), on a
 * free loopback port with everything in a temp dir: its host key, the one client key it accepts
 * (root may log in with it, never with a password), no pid file. It touches neither /etc/ssh nor
 * /root/.ssh, and is stopped by pid.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateSshKey } from "@nohead/supervisor";
import { freePort } from "../../libs/qemu/src/testing/free-port.ts";

export const SSHD = "/usr/sbin/sshd";

export interface TestSshd {
  port: number;
  /** The private key that sshd accepts for any user (root included). */
  clientKey: string;
  /** Client options that reach this sshd with `clientKey` and never touch known_hosts. */
  clientOptions: string[];
  /** Everything sshd printed so far. */
  output: () => string;
  stop: () => Promise<void>;
}

/**
 * Starts sshd with its files in `dir`; the client key goes to `clientKeyDir` (default `dir`).
 * `setEnv` becomes sshd's `SetEnv` (variables for every session).
 *
 * @example
 * const sshd = await startTestSshd(dir);
 * Bun.spawnSync(["ssh", ...sshd.clientOptions, "--", "root@127.0.0.1", "true"]);
 * await sshd.stop();
 */
export async function startTestSshd(
  dir: string,
  { clientKeyDir = dir, setEnv = {} }: { clientKeyDir?: string; setEnv?: Record<string, string> } = {},
): Promise<TestSshd> {
  if (!existsSync(SSHD)) throw new Error(`${SSHD} is missing: apt-get install openssh-server`);
  // sshd's privilege separation directory; Debian's unit makes it at boot (RuntimeDirectory=sshd).
  mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  mkdirSync(dir, { recursive: true });
  mkdirSync(clientKeyDir, { recursive: true });
  const hostKey = join(dir, "ssh_host_ed25519_key");
  const clientKey = join(clientKeyDir, "id_ed25519");
  generateSshKey(hostKey, "nohead-test");
  generateSshKey(clientKey, "nohead-test");
  const authorizedKeys = join(dir, "authorized_keys");
  writeFileSync(authorizedKeys, await Bun.file(`${clientKey}.pub`).text());
  const port = freePort();
  const config = join(dir, "sshd_config");
  writeFileSync(
    config,
    [
      `ListenAddress 127.0.0.1:${port}`,
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      "StrictModes no",
      "PidFile none",
      "PermitRootLogin prohibit-password",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "UsePAM no",
      "AllowTcpForwarding yes",
      ...Object.entries(setEnv).map(([name, value]) => `SetEnv ${name}=${value}`),
      "",
    ].join("\n"),
  );
  const child = Bun.spawn([SSHD, "-D", "-e", "-f", config], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let text = "";
  void (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr) text += decoder.decode(chunk, { stream: true });
  })();
  const deadline = Date.now() + 10_000;
  while (!text.includes(`Server listening on 127.0.0.1 port ${port}`)) {
    if (child.exitCode !== null) throw new Error(`sshd exited (${child.exitCode}):\n${text}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`sshd did not listen on port ${port} within 10 s:\n${text}`);
    }
    await Bun.sleep(50);
  }
  return {
    port,
    clientKey,
    clientOptions: [
      "-p",
      String(port),
      "-i",
      clientKey,
      "-o",
      "IdentitiesOnly=yes",
      "-o",
      "BatchMode=yes",
      "-o",
      "StrictHostKeyChecking=no",
      "-o",
      "UserKnownHostsFile=/dev/null",
      "-o",
      "LogLevel=ERROR",
    ],
    output: () => text,
    stop: async () => {
      child.kill("SIGTERM");
      const exited = await Promise.race([child.exited, Bun.sleep(10_000).then(() => "timeout" as const)]);
      if (exited === "timeout") {
        child.kill("SIGKILL");
        throw new Error(`sshd (pid ${child.pid}) did not exit within 10 s of SIGTERM`);
      }
    },
  };
}
