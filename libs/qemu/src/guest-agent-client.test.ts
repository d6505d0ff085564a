import { afterEach, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { GuestAgentClient } from "./guest-agent-client.ts";
import {
  GuestAgentTimeoutError,
  GuestExecError,
  QemuProtocolError,
  QmpCommandError,
  QmpDisconnectedError,
} from "./qemu-errors.ts";
import { FakeGuestAgent, type FakeGuestAgentOptions } from "./testing/fake-guest-agent.ts";
import { startHostGuestAgent } from "./testing/host-guest-agent.ts";
import { startPausedQemu } from "./testing/paused-qemu.ts";
import { rejectionOf } from "@nohead/schema/testing";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function fakeAgent(options?: FakeGuestAgentOptions): Promise<FakeGuestAgent> {
  const fake = await FakeGuestAgent.start(options);
  cleanups.push(() => fake.close());
  return fake;
}

async function connected(
  options?: FakeGuestAgentOptions,
  connectOptions?: { commandTimeoutMs?: number },
): Promise<{ fake: FakeGuestAgent; agent: GuestAgentClient }> {
  const fake = await fakeAgent(options);
  const agent = await GuestAgentClient.connect(fake.path, { timeoutMs: 2000, ...connectOptions });
  cleanups.push(() => agent.close());
  return { fake, agent };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = performance.now() + 2000;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await Bun.sleep(5);
  }
}

describe("GuestAgentClient sync", () => {
  test("connect sends 0xFF then guest-sync-delimited with a random id, and skips the agent's complaint", async () => {
    const { fake } = await connected();
    expect(fake.requests).toHaveLength(1);
    const [sync] = fake.requests;
    expect(sync?.execute).toBe("guest-sync-delimited");
    expect(sync?.afterSentinel).toBe(true);
    const id = (sync?.arguments as { id: number } | undefined)?.id;
    expect(Number.isInteger(id)).toBe(true);
    expect(sync?.raw).toBe(`{"execute":"guest-sync-delimited","arguments":{"id":${id}}}`);
  });

  test("stale replies and a half reply left in the channel are skipped; the first command gets its own reply", async () => {
    const stale = Buffer.concat([
      Buffer.from('{"return": {"pid": 5}}\n{"return": 123}\n'),
      Buffer.from([0xff]),
      Buffer.from('{"return": 999}\n{"return": {"exited": true, "out-da'),
    ]);
    const { fake, agent } = await connected({ staleOnConnect: stale });
    await agent.ping();
    expect(fake.commands).toEqual(["guest-sync-delimited", "guest-ping"]);
    expect(fake.requests[1]?.raw).toBe('{"execute":"guest-ping"}');
    expect(fake.requests[1]?.afterSentinel).toBe(false);
  });

  test("no answer at all (QEMU's chardev with no agent behind it) fails connect with a timeout", async () => {
    const fake = await fakeAgent({ silent: true });
    const error = await rejectionOf(GuestAgentClient.connect(fake.path, { timeoutMs: 150 }));
    expect(error).toBeInstanceOf(GuestAgentTimeoutError);
    const { waitedMs } = error as GuestAgentTimeoutError;
    expect(waitedMs).toBeGreaterThan(0);
    expect(error).toMatchObject({
      channel: "guest-agent",
      socketPath: fake.path,
      command: "guest-sync-delimited",
      message:
        `guest agent at ${fake.path} did not answer "guest-sync-delimited" within ${waitedMs} ms; ` +
        "has the guest booted, and does it run qemu-guest-agent (services.qemuGuest.enable)?",
    });
  });

  test("after a command times out, its late reply is skipped by a resync before the next command", async () => {
    let pingCalls = 0;
    const { fake, agent } = await connected({
      commands: { "guest-ping": () => (++pingCalls === 1 ? { silent: true } : { return: {} }) },
    });
    const error = await rejectionOf(agent.ping({ timeoutMs: 100 }));
    expect(error).toBeInstanceOf(GuestAgentTimeoutError);
    expect(error).toMatchObject({ command: "guest-ping", waitedMs: 100 });
    fake.send({ return: {} }); // the late reply to the ping
    const info = await agent.info();
    expect(info.version).toBe("7.2.22");
    expect(fake.commands).toEqual([
      "guest-sync-delimited",
      "guest-ping",
      "guest-sync-delimited",
      "guest-info",
    ]);
    expect(fake.requests[2]?.afterSentinel).toBe(true);
  });

  test("commands run one at a time: the second is sent only after the first is answered", async () => {
    const { fake, agent } = await connected({ commands: { "guest-ping": () => ({ silent: true }) } });
    const ping = agent.ping();
    const info = agent.info();
    await until(() => fake.commands.length === 2, "the ping");
    await Bun.sleep(30);
    expect(fake.commands).toEqual(["guest-sync-delimited", "guest-ping"]);
    fake.send({ return: {} });
    expect(await ping).toBeUndefined();
    expect((await info).version).toBe("7.2.22");
    expect(fake.commands).toEqual(["guest-sync-delimited", "guest-ping", "guest-info"]);
  });
});

describe("GuestAgentClient commands", () => {
  test("info parses the agent's version and commands", async () => {
    const { agent } = await connected();
    expect(await agent.info()).toEqual({
      version: "7.2.22",
      supportedCommands: [
        { name: "guest-ping", enabled: true, successResponse: true },
        { name: "guest-shutdown", enabled: false, successResponse: false },
      ],
    });
  });

  test("an error reply rejects with the agent's class and description", async () => {
    const { fake, agent } = await connected();
    const error = await rejectionOf(agent.execute("guest-bogus", { a: 1 }));
    expect(error).toBeInstanceOf(QmpCommandError);
    expect(error).toMatchObject({
      channel: "guest-agent",
      socketPath: fake.path,
      command: "guest-bogus",
      errorClass: "CommandNotFound",
      desc: "The command guest-bogus has not been found",
      message:
        'guest agent command "guest-bogus" failed: CommandNotFound: The command guest-bogus has not been found',
    });
    expect(fake.requests[1]?.raw).toBe('{"execute":"guest-bogus","arguments":{"a":1}}');
  });

  test("a reply that is not JSON is a protocol error, and the next command resyncs first", async () => {
    let pings = 0;
    const { fake, agent } = await connected({
      commands: { "guest-ping": () => (++pings === 1 ? { raw: "{not json\n" } : { return: {} }) },
    });
    const error = await rejectionOf(agent.ping());
    expect(error).toBeInstanceOf(QemuProtocolError);
    expect((error as Error).message).toBe(
      `guest agent at ${fake.path} answered "guest-ping" with a line that is not JSON: {not json`,
    );
    await agent.ping();
    expect(fake.commands).toEqual([
      "guest-sync-delimited",
      "guest-ping",
      "guest-sync-delimited",
      "guest-ping",
    ]);
  });

  test("a disconnect mid-reply rejects the pending command; later calls fail at once", async () => {
    const { fake, agent } = await connected({
      commands: {
        "guest-info": (_request, agent) => {
          agent.write('{"return": {"version": "7.2');
          setTimeout(() => agent.dropClient(), 20);
          return { silent: true };
        },
      },
    });
    const error = await rejectionOf(agent.info());
    expect(error).toBeInstanceOf(QmpDisconnectedError);
    const detail = "the peer closed the connection mid-message (27 bytes of an unfinished line)";
    expect(error).toMatchObject({
      channel: "guest-agent",
      socketPath: fake.path,
      pending: ["guest-info"],
      message: `guest agent connection ${fake.path} closed while waiting for guest-info: ${detail}`,
    });
    expect(await agent.closed).toEqual({ initiator: "remote", error: undefined, partialBytes: 27, detail });
    const after = await rejectionOf(agent.ping());
    expect(after).toBeInstanceOf(QmpDisconnectedError);
    expect((after as QmpDisconnectedError).pending).toEqual(["guest-ping"]);
  });
});

describe("GuestAgentClient.exec", () => {
  test("sends guest-exec with args, env and base64 input, polls until exit, and decodes the output", async () => {
    const { fake, agent } = await connected({
      programs: { "/bin/sh": { polls: 2, exitcode: 3, stdout: "hé\n", stderr: "oops\n" } },
    });
    const result = await agent.exec("/bin/sh", ["-c", "cat; exit 3"], {
      env: { A: "1", B: "x=y" },
      input: "hi",
    });
    expect(result).toEqual({
      exitCode: 3,
      signal: null,
      stdout: "hé\n",
      stderr: "oops\n",
    });
    expect(fake.requests[1]?.raw).toBe(
      '{"execute":"guest-exec","arguments":{"path":"/bin/sh","arg":["-c","cat; exit 3"],"capture-output":true,' +
        '"env":["A=1","B=x=y"],"input-data":"aGk="}}',
    );
    expect(fake.requests.slice(2).map((r) => r.raw)).toEqual([
      '{"execute":"guest-exec-status","arguments":{"pid":1000}}',
      '{"execute":"guest-exec-status","arguments":{"pid":1000}}',
      '{"execute":"guest-exec-status","arguments":{"pid":1000}}',
    ]);
  });

  test("a program ended by a signal has no exit code", async () => {
    const { agent } = await connected({ programs: { "/bin/sleep": { signal: 9 } } });
    expect(await agent.exec("/bin/sleep", ["100"])).toEqual({
      exitCode: null,
      signal: 9,
      stdout: "",
      stderr: "",
    });
  });

  test("output the agent cut at its cap is flagged", async () => {
    const { agent } = await connected({
      programs: { "/bin/cat": { stdout: "a", stderr: "b", truncated: true } },
    });
    expect(await agent.exec("/bin/cat", ["/dev/zero"])).toEqual({
      exitCode: 0,
      signal: null,
      stdout: "a",
      stderr: "b",
      stdoutTruncated: true,
      stderrTruncated: true,
    });
  });

  test("a program that cannot start rejects with GuestExecError start-failed and the agent's error", async () => {
    const { fake, agent } = await connected();
    const error = await rejectionOf(agent.exec("/nonexistent", ["a"]));
    expect(error).toBeInstanceOf(GuestExecError);
    const desc =
      "Guest agent command failed, error was 'Failed to execute child process \u201c/nonexistent\u201d (No such file or directory)'";
    expect(error).toMatchObject({
      channel: "guest-agent",
      socketPath: fake.path,
      path: "/nonexistent",
      args: ["a"],
      reason: "start-failed",
      pid: undefined,
      message: `guest agent could not start \`/nonexistent a\` in the guest: guest agent command "guest-exec" failed: GenericError: ${desc}`,
    });
    expect((error as Error).cause).toBeInstanceOf(QmpCommandError);
    expect(((error as Error).cause as QmpCommandError).desc).toBe(desc);
  });

  test("a program that does not exit in time rejects with GuestExecError timed-out and its pid", async () => {
    const { agent } = await connected({ programs: { "/bin/sleep": { polls: 1_000_000 } } });
    const error = await rejectionOf(agent.exec("/bin/sleep", ["infinity"], { timeoutMs: 150 }));
    expect(error).toBeInstanceOf(GuestExecError);
    expect(error).toMatchObject({ reason: "timed-out", pid: 1000, path: "/bin/sleep", args: ["infinity"] });
    const { waitedMs, message } = error as GuestExecError;
    expect(waitedMs).toBeGreaterThanOrEqual(150);
    expect(message).toBe(
      `\`/bin/sleep infinity\` (guest pid 1000) did not exit within ${waitedMs} ms; it is still running in the guest; ` +
        "raise timeoutMs or make the program finish",
    );
  });
});

describe("GuestAgentClient files", () => {
  test("readFile reads in chunks until EOF and closes the handle", async () => {
    const big = Buffer.alloc(2_500_000);
    for (let i = 0; i < big.length; i++) big[i] = i % 251;
    const { fake, agent } = await connected({
      files: { "/run/nohead/init-status": "started\n", "/big": big },
    });
    expect(await agent.readFile("/run/nohead/init-status")).toBe("started\n");
    expect(fake.requests.slice(1).map((r) => r.raw)).toEqual([
      '{"execute":"guest-file-open","arguments":{"path":"/run/nohead/init-status","mode":"r"}}',
      '{"execute":"guest-file-read","arguments":{"handle":1000,"count":1048576}}',
      '{"execute":"guest-file-close","arguments":{"handle":1000}}',
    ]);
    expect(Buffer.from(await agent.readFileBytes("/big")).equals(big)).toBe(true);
    expect(fake.commands.filter((c) => c === "guest-file-read")).toHaveLength(4);
    expect(fake.openHandles).toBe(0);
  });

  test("a missing file rejects with the agent's error; a file over maxBytes is refused and still closed", async () => {
    const { fake, agent } = await connected({ files: { "/big": "x".repeat(100) } });
    const missing = await rejectionOf(agent.readFile("/nope"));
    expect(missing).toBeInstanceOf(QmpCommandError);
    expect((missing as QmpCommandError).desc).toBe(
      "failed to open file '/nope' (mode: 'r'): No such file or directory",
    );
    const tooBig = await rejectionOf(agent.readFile("/big", { maxBytes: 10 }));
    expect(tooBig).toBeInstanceOf(QemuProtocolError);
    expect((tooBig as Error).message).toBe(
      "guest file /big is larger than 10 bytes; read it another way (e.g. scp)",
    );
    expect(fake.commands.at(-1)).toBe("guest-file-close");
    expect(fake.openHandles).toBe(0);
  });
});

describe("GuestAgentClient.shutdown", () => {
  test("no reply to guest-shutdown plus an answered sync means acknowledged", async () => {
    const { fake, agent } = await connected();
    expect(await agent.shutdown("reboot")).toEqual({ outcome: "acknowledged" });
    expect(fake.requests[1]?.raw).toBe('{"execute":"guest-shutdown","arguments":{"mode":"reboot"}}');
    expect(fake.requests[2]?.execute).toBe("guest-sync");
  });

  test("the connection ending (QEMU exits as the guest powers off) means connection-closed", async () => {
    const { agent } = await connected({
      commands: {
        "guest-shutdown": (_request, agent) => {
          setTimeout(() => agent.dropClient(), 10);
          return { silent: true };
        },
        "guest-sync": () => ({ silent: true }),
      },
    });
    expect(await agent.shutdown()).toEqual({ outcome: "connection-closed" });
  });

  test("silence until the deadline means no-reply", async () => {
    const { agent } = await connected({ commands: { "guest-sync": () => ({ silent: true }) } });
    expect(await agent.shutdown("halt", { timeoutMs: 100 })).toEqual({ outcome: "no-reply" });
  });

  test("an error rejects, and the next command resyncs past the sync's reply", async () => {
    const { fake, agent } = await connected({
      commands: {
        "guest-shutdown": () => ({
          error: { class: "CommandNotFound", desc: "Command guest-shutdown has been disabled" },
        }),
      },
    });
    const error = await rejectionOf(agent.shutdown());
    expect(error).toBeInstanceOf(QmpCommandError);
    expect(error).toMatchObject({
      command: "guest-shutdown",
      errorClass: "CommandNotFound",
      desc: "Command guest-shutdown has been disabled",
    });
    await agent.ping();
    expect(fake.commands).toEqual([
      "guest-sync-delimited",
      "guest-shutdown",
      "guest-sync",
      "guest-sync-delimited",
      "guest-ping",
    ]);
  });
});

describe("GuestAgentClient against the real qemu-ga (on the host, unix-listen)", () => {
  test("ping, info, exec (output, input, env, exit code, signal, start failure), files, refused shutdown", async () => {
    const qga = await startHostGuestAgent();
    try {
      const agent = await GuestAgentClient.connect(qga.socketPath, { timeoutMs: 5000 });
      await agent.ping();
      const version = await new Response(Bun.spawn(["qemu-ga", "--version"]).stdout).text();
      const info = await agent.info();
      expect(version).toContain(`QEMU Guest Agent ${info.version}`);
      expect(info.supportedCommands).toContainEqual({
        name: "guest-exec",
        enabled: true,
        successResponse: true,
      });
      expect(info.supportedCommands).toContainEqual({
        name: "guest-shutdown",
        enabled: false,
        successResponse: false,
      });

      expect(
        await agent.exec("/bin/sh", ["-c", "echo out; echo err >&2; cat; exit 3"], { input: "input\n" }),
      ).toEqual({
        exitCode: 3,
        signal: null,
        stdout: "out\ninput\n",
        stderr: "err\n",
      });
      expect((await agent.exec("/usr/bin/env", [], { env: { FOO: "bar" } })).stdout).toBe("FOO=bar\n");
      const killed = await agent.exec("/bin/sh", ["-c", "kill -9 $$"]);
      expect([killed.exitCode, killed.signal]).toEqual([null, 9]);
      const slow = await agent.exec("/bin/sh", ["-c", "sleep 0.3; echo done"]);
      expect([slow.exitCode, slow.stdout]).toEqual([0, "done\n"]);

      const missing = await rejectionOf(agent.exec("/nonexistent", []));
      expect(missing).toBeInstanceOf(GuestExecError);
      expect((missing as GuestExecError).reason).toBe("start-failed");
      expect(((missing as Error).cause as QmpCommandError).errorClass).toBe("GenericError");

      const file = join(qga.dir, "file.bin");
      const data = Buffer.alloc(1_500_000, "nohead\n");
      writeFileSync(file, data);
      expect(Buffer.from(await agent.readFileBytes(file)).equals(data)).toBe(true);
      const noFile = await rejectionOf(agent.readFile(join(qga.dir, "nope")));
      expect(noFile).toBeInstanceOf(QmpCommandError);
      expect((noFile as QmpCommandError).desc).toBe(
        `failed to open file '${join(qga.dir, "nope")}' (mode: 'r'): No such file or directory`,
      );

      // guest-shutdown is blocked here (the agent runs on the host): the refusal path is real.
      const refused = await rejectionOf(agent.shutdown());
      expect(refused).toMatchObject({
        command: "guest-shutdown",
        errorClass: "CommandNotFound",
        desc: "Command guest-shutdown has been disabled",
      });
      await agent.ping();
      agent.close();
      expect((await agent.closed).initiator).toBe("local");

      // A new connection syncs again, as a later nohead command would.
      const again = await GuestAgentClient.connect(qga.socketPath, { timeoutMs: 5000 });
      expect((await again.exec("/bin/echo", ["again"])).stdout).toBe("again\n");
      again.close();
    } finally {
      await qga.stop();
    }
  });
});

describe("GuestAgentClient against real QEMU (no guest OS)", () => {
  test("QEMU accepts the connection but nothing answers: connect times out clearly", async () => {
    const qemu = await startPausedQemu({ guestAgent: true });
    try {
      const socketPath = qemu.guestAgentSocket ?? "";
      for (let attempt = 0; attempt < 2; attempt++) {
        // QEMU serves one client at a time and notices the last one's close asynchronously.
        if (attempt > 0) await Bun.sleep(300);
        const error = await rejectionOf(GuestAgentClient.connect(socketPath, { timeoutMs: 300 }));
        expect(error).toBeInstanceOf(GuestAgentTimeoutError);
        expect(error).toMatchObject({
          channel: "guest-agent",
          socketPath,
          command: "guest-sync-delimited",
        });
        expect((error as GuestAgentTimeoutError).waitedMs).toBeGreaterThan(0);
      }
    } finally {
      await qemu.stop();
    }
  });
});
