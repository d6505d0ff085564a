/**
 * SSH on remote machines, with real processes: a real OpenSSH server stands for the agent's host,
 * a real agent runs a fixture VM placed on it, and `nohead ssh` reaches the guest through that
 * host's SSH (a ProxyCommand with the hosts file's `sshOptions`, quoted through a key path with a
 * space and a quote, and an option holding a `%` token that only the jump's ssh may expand). The same sshd is the remote end of a real `nix copy` to
 * `ssh-ng://root@127.0.0.1`, whose store there is a separate chroot store (sshd's `SetEnv
 * NIX_REMOTE`), so the copy can be seen.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { copyClosure, createTokenFile } from "@nohead/hosts";
import { NoheadError } from "@nohead/schema";
import { rejectionOf } from "@nohead/schema/testing";
import { fixtureInStore } from "../support/fixture-in-store.ts";
import { makeRuntimeProject, type RuntimeProject, TEST_DEADLINES } from "../support/runtime-project.ts";
import { testTempDir } from "../support/temp-dir.ts";
import { startTestSshd, type TestSshd } from "../support/test-sshd.ts";
import { type AgentProcess, qemuUsing, spawnAgent } from "./agent-process.ts";

const root = testTempDir("nohead-remote-ssh-");
/** The jump's key lives where only careful quoting reaches it. */
const jumpKeyDir = join(root, "jump key's dir");
const remoteStore = join(root, "remote-store");
const agentState = join(root, "agent-state");
const tokenFile = join(root, "east.token");
let sshd: TestSshd;
let agent: AgentProcess;
let project: RuntimeProject;

/**
 * The jump's options, its known hosts in `known_hosts.%r`: the jump's ssh expands `%r` to its own
 * user (root); had the command's ssh expanded it first, it would be the guest's user (nixy).
 */
const jumpOptions = (): string[] =>
  sshd.clientOptions.map((o) =>
    o === "UserKnownHostsFile=/dev/null" ? `UserKnownHostsFile=${join(root, "known_hosts.%r")}` : o,
  );

function writeHosts(east: Record<string, unknown>): void {
  writeFileSync(join(project.projectDir, ".nohead/hosts.json"), JSON.stringify({ hosts: { east } }));
}

beforeAll(async () => {
  project = await makeRuntimeProject(`{ ... }: { alpha = { host = "east"; ${TEST_DEADLINES} }; }`);
  await fixtureInStore(project);
  sshd = await startTestSshd(join(root, "sshd"), {
    clientKeyDir: jumpKeyDir,
    setEnv: { NIX_REMOTE: `local?root=${remoteStore}` },
  });
  createTokenFile(tokenFile);
  agent = await spawnAgent(["--token-file", tokenFile, "--state-dir", agentState]);
  mkdirSync(join(project.projectDir, ".nohead"), { recursive: true });
  writeHosts({
    url: agent.url,
    tokenFile,
    closures: "shared",
    sshTarget: "root@127.0.0.1",
    sshOptions: jumpOptions(),
  });
}, 60_000);

afterAll(async () => {
  await project?.cli(["stopall"]);
  await agent?.kill();
  await sshd?.stop();
  const left = qemuUsing([root, project.projectDir]);
  for (const pid of left) process.kill(pid, "SIGKILL");
  expect(left).toEqual([]);
});

describe("nohead ssh to a VM on an agent", () => {
  test("runs the command in the guest through the host's SSH, with the project's key", async () => {
    const run = await project.cli(["run", "alpha", "-n"], { timeoutMs: 200_000 });
    expect(run.stderr).not.toContain("✖");
    expect(run.exitCode).toBe(0);

    // The agent handed the guest its own key and this project's key.
    const projectKey = readFileSync(join(project.projectDir, ".nohead/ssh/id_ed25519.pub"), "utf8").trim();
    const agentKey = readFileSync(join(agentState, "ssh/id_ed25519.pub"), "utf8").trim();
    expect(readFileSync(join(agentState, "vms/alpha/authorized_keys"), "utf8")).toBe(
      `${agentKey}\n${projectKey}\n`,
    );

    const ssh = await project.cli(["ssh", "alpha", "--", "cat", "/proc/sys/kernel/hostname"]);
    expect(ssh.stderr).toBe("");
    expect(ssh.stdout).toBe("alpha\n");
    expect(ssh.exitCode).toBe(0);
    // It went through the jump host: sshd let root in with the key from the quoted path, and the
    // `%r` reached the jump's ssh intact.
    expect(sshd.output()).toContain("Accepted publickey for root from 127.0.0.1");
    expect(existsSync(join(root, "known_hosts.root"))).toBe(true);
    expect(existsSync(join(root, "known_hosts.nixy"))).toBe(false);

    const exit = await project.cli(["ssh", "alpha", "--", "sh", "-c", "'exit 7'"]);
    expect(exit.exitCode).toBe(7);
  }, 240_000);

  test("a host without sshTarget is a configuration error naming the host (exit 3)", async () => {
    writeHosts({ url: agent.url, tokenFile, closures: "shared" });
    try {
      const ssh = await project.cli(["ssh", "alpha", "--", "true"]);
      expect(ssh.exitCode).toBe(3);
      expect(ssh.stderr).toContain(
        "alpha: runs on host east, which has no sshTarget: nohead ssh reaches its guests through the host's SSH",
      );
      expect(ssh.stderr).toContain('set "sshTarget": "user@host" for east in the hosts file');
    } finally {
      writeHosts({
        url: agent.url,
        tokenFile,
        closures: "shared",
        sshTarget: "root@127.0.0.1",
        sshOptions: jumpOptions(),
      });
    }
  });
});

describe("nix copy to a real ssh-ng remote", () => {
  /** A new, valid path in this computer's store. */
  function storePath(): string {
    const file = join(root, `payload-${Date.now()}.txt`);
    writeFileSync(file, `payload ${Date.now()} ${Math.random()}\n`);
    const added = Bun.spawnSync(["nix-store", "--add", file]);
    if (added.exitCode !== 0) throw new Error(`nix-store --add failed: ${added.stderr}`);
    return added.stdout.toString().trim();
  }

  function validInRemoteStore(path: string): boolean {
    return (
      Bun.spawnSync(["nix", "path-info", "--store", `local?root=${remoteStore}`, path], {
        stdout: "ignore",
        stderr: "ignore",
      }).exitCode === 0
    );
  }

  test("copyClosure sends the path, with the host's sshOptions, into the remote store", async () => {
    const path = storePath();
    expect(validInRemoteStore(path)).toBe(false);
    // Nix splits NIX_SSHOPTS at whitespace: the key goes by a path without the jump dir's space.
    const key = join(root, "copy-key");
    symlinkSync(sshd.clientKey, key);
    const options = sshd.clientOptions.map((o) => (o === sshd.clientKey ? key : o));
    const report = await copyClosure(
      { name: "east", closures: "nix-copy", sshTarget: "root@127.0.0.1", sshOptions: options },
      [path],
      { timeoutMs: 60_000 },
    );
    expect(report.host).toBe("east");
    expect(report.copied).toEqual([path]);
    expect(validInRemoteStore(path)).toBe(true);
  }, 90_000);

  test("sshOptions holding whitespace are refused before nix runs", async () => {
    const path = storePath();
    const error = (await rejectionOf(
      copyClosure(
        { name: "east", closures: "nix-copy", sshTarget: "root@127.0.0.1", sshOptions: sshd.clientOptions },
        [path],
      ),
    )) as NoheadError;
    expect(error).toBeInstanceOf(NoheadError);
    expect(error.kind).toBe("config");
    expect(error.message).toBe(
      `host east: the ssh option "${sshd.clientKey}" holds whitespace, which nix copy cannot pass on (Nix splits NIX_SSHOPTS at whitespace)`,
    );
    expect(validInRemoteStore(path)).toBe(false);
  });
});
