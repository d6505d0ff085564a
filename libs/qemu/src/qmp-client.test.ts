import { afterEach, describe, expect, test } from "bun:test";
import { connect as tcpConnect } from "node:net";
import {
  QemuConnectError,
  QemuProtocolError,
  QmpCommandError,
  QmpDisconnectedError,
  QmpTimeoutError,
} from "./qemu-errors.ts";
import type { JsonLineCloseInfo } from "./json-line-socket.ts";
import { type QmpEvent, QmpClient } from "./qmp-client.ts";
import { FakeQmpServer, QEMU_7_2_GREETING } from "./testing/fake-qmp-server.ts";
import { freePort } from "./testing/free-port.ts";
import { startPausedQemu } from "./testing/paused-qemu.ts";
import { rejectionOf } from "@nohead/schema/testing";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Settles `promise` and returns what it rejected with; fails if it resolved. */
async function fakeServer(options?: { greeting?: unknown }): Promise<FakeQmpServer> {
  const fake = await FakeQmpServer.start(options);
  cleanups.push(() => fake.close());
  return fake;
}

/** A client connected to a fake server that answered `qmp_capabilities`. */
async function connected(options?: {
  commandTimeoutMs?: number;
}): Promise<{ fake: FakeQmpServer; qmp: QmpClient }> {
  const fake = await fakeServer();
  const connecting = QmpClient.connect(fake.path, { timeoutMs: 2000, ...options });
  expect((await fake.nextLine()).raw).toBe('{"execute":"qmp_capabilities","id":1}');
  fake.send({ return: {}, id: 1 });
  const qmp = await connecting;
  cleanups.push(() => qmp.close());
  return { fake, qmp };
}

describe("QmpClient handshake", () => {
  test("reads the greeting, sends qmp_capabilities first, and exposes version and capabilities", async () => {
    const { fake, qmp } = await connected();
    expect(fake.lines.map((l) => l.raw)).toEqual(['{"execute":"qmp_capabilities","id":1}']);
    expect(qmp.version).toEqual({
      qemu: { major: 7, minor: 2, micro: 22 },
      package: "Debian 1:7.2+dfsg-7+deb12u18+b3",
    });
    expect(qmp.capabilities).toEqual(["oob"]);
    expect(qmp.socketPath).toBe(fake.path);
  });

  test("an event in the greeting's chunk does not disturb the handshake", async () => {
    const fake = await fakeServer({ greeting: null });
    const connecting = QmpClient.connect(fake.path, { timeoutMs: 2000 });
    while (fake.connections === 0) await Bun.sleep(5);
    fake.write(
      `${JSON.stringify(QEMU_7_2_GREETING)}\r\n{"event": "RESUME", "timestamp": {"seconds": 1, "microseconds": 2}}\r\n`,
    );
    await fake.nextLine();
    fake.send({ return: {}, id: 1 });
    const qmp = await connecting;
    cleanups.push(() => qmp.close());
    // The event waited in the queue behind the greeting and went to the (empty) event listeners.
    expect(qmp.version.qemu.major).toBe(7);
  });

  test("a peer that does not greet like QMP is refused with what it said", async () => {
    const fake = await fakeServer({ greeting: { hello: "world" } });
    const error = await rejectionOf(QmpClient.connect(fake.path, { timeoutMs: 2000 }));
    expect(error).toBeInstanceOf(QemuProtocolError);
    expect((error as QemuProtocolError).channel).toBe("qmp");
    expect((error as QemuProtocolError).socketPath).toBe(fake.path);
    expect((error as Error).message).toBe(
      `${fake.path} did not greet like QMP (is it a QMP socket?): {"hello":"world"}`,
    );
  });

  test("no greeting in time (QEMU busy with another client) is a connect error that says so", async () => {
    const fake = await fakeServer({ greeting: null });
    const error = await rejectionOf(QmpClient.connect(fake.path, { timeoutMs: 150 }));
    expect(error).toBeInstanceOf(QemuConnectError);
    expect((error as QemuConnectError).reason).toBe("timed-out");
    expect((error as QemuConnectError).waitedMs).toBe(150);
    expect((error as Error).message).toBe(
      `QMP at ${fake.path}: connected, but no greeting within 150 ms; QEMU serves one QMP client at a time: ` +
        "is another client (another nohead command) connected?",
    );
  });

  test("a connection closed before the greeting is a connect error with reason closed", async () => {
    const fake = await fakeServer({ greeting: null });
    const connecting = QmpClient.connect(fake.path, { timeoutMs: 2000 });
    while (fake.connections === 0) await Bun.sleep(5);
    fake.dropClient();
    const error = await rejectionOf(connecting);
    expect(error).toBeInstanceOf(QemuConnectError);
    expect((error as QemuConnectError).reason).toBe("closed");
    expect((error as Error).message).toBe(
      `QMP at ${fake.path}: the connection ended before the greeting: the peer closed the connection`,
    );
  });

  test("invalid options are refused with the option's name and value", async () => {
    const error = await rejectionOf(QmpClient.connect("/tmp/none.sock", { commandTimeoutMs: -1 }));
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe(
      "Expected the `commandTimeoutMs` option to be a positive number of milliseconds, got `-1`",
    );
  });
});

describe("QmpClient commands", () => {
  test("sends arguments and unique ids, and matches replies that come out of order", async () => {
    const { fake, qmp } = await connected();
    const status = qmp.execute("query-status");
    const hmp = qmp.execute("human-monitor-command", { "command-line": "info usernet" });
    expect((await fake.nextLine()).raw).toBe('{"execute":"query-status","id":2}');
    expect((await fake.nextLine()).raw).toBe(
      '{"execute":"human-monitor-command","arguments":{"command-line":"info usernet"},"id":3}',
    );
    fake.send({ return: "Hub -1 (n0):\r\n", id: 3 });
    fake.send({ return: { status: "running", singlestep: false, running: true }, id: 2 });
    expect(await hmp).toBe("Hub -1 (n0):\r\n");
    expect(await status).toEqual({ status: "running", singlestep: false, running: true });
  });

  test("an error reply rejects with QEMU's class and description", async () => {
    const { fake, qmp } = await connected();
    const pending = qmp.execute("nosuch");
    await fake.nextLine();
    fake.send({ id: 2, error: { class: "CommandNotFound", desc: "The command nosuch has not been found" } });
    const error = await rejectionOf(pending);
    expect(error).toBeInstanceOf(QmpCommandError);
    expect(error).toMatchObject({
      channel: "qmp",
      socketPath: fake.path,
      command: "nosuch",
      errorClass: "CommandNotFound",
      desc: "The command nosuch has not been found",
      message: 'QMP command "nosuch" failed: CommandNotFound: The command nosuch has not been found',
    });
  });

  test("a command never answered times out naming it; its late reply is dropped, not given to the next", async () => {
    const { fake, qmp } = await connected();
    const problems: QemuProtocolError[] = [];
    qmp.onProtocolError((error) => problems.push(error));
    const error = await rejectionOf(qmp.execute("query-status", undefined, { timeoutMs: 100 }));
    expect(error).toBeInstanceOf(QmpTimeoutError);
    expect(error).toMatchObject({
      channel: "qmp",
      socketPath: fake.path,
      command: "query-status",
      event: undefined,
      waitedFor: 'reply to "query-status"',
      waitedMs: 100,
      message: `QMP at ${fake.path}: no reply to "query-status" within 100 ms; QEMU may be stuck; check the VM's log, or stop it`,
    });
    const next = qmp.execute("query-version");
    await fake.nextLine();
    expect((await fake.nextLine()).raw).toBe('{"execute":"query-version","id":3}');
    fake.send({ return: { status: "late" }, id: 2 });
    fake.send({ return: { qemu: { major: 7 } }, id: 3 });
    expect(await next).toEqual({ qemu: { major: 7 } });
    expect(problems.map((p) => p.message)).toEqual([
      `QMP at ${fake.path} sent a reply to id 2, which no pending command has (it may have timed out)`,
    ]);
  });

  test("a reply split across chunks and two messages in one chunk both parse", async () => {
    const { fake, qmp } = await connected();
    const a = qmp.execute("stop");
    const b = qmp.execute("cont");
    await fake.nextLine();
    await fake.nextLine();
    fake.write('{"return": {}, "i');
    await Bun.sleep(20);
    fake.write('d": 2}\r\n{"return": {"x": 1}, "id": 3}\r\n');
    expect(await a).toEqual({});
    expect(await b).toEqual({ x: 1 });
  });

  test("a line that is not JSON and a message of unknown shape are reported, and the client goes on", async () => {
    const { fake, qmp } = await connected();
    const problems: QemuProtocolError[] = [];
    qmp.onProtocolError((error) => problems.push(error));
    const pending = qmp.execute("query-status");
    await fake.nextLine();
    fake.write(
      '{"return": oops}\r\n{"surprise": 1}\r\n{"error": {"class": "GenericError", "desc": "x"}}\r\n',
    );
    fake.send({ return: { running: false, status: "paused" }, id: 2 });
    expect(await pending).toEqual({ running: false, status: "paused" });
    expect(problems.map((p) => [p.name, p.channel, p.message])).toEqual([
      ["QemuProtocolError", "qmp", `QMP at ${fake.path} sent a line that is not JSON: {"return": oops}`],
      ["QemuProtocolError", "qmp", `QMP at ${fake.path} sent a message of unknown shape: {"surprise":1}`],
      [
        "QemuProtocolError",
        "qmp",
        `QMP at ${fake.path} sent a reply without an id (it could not parse a command?): ` +
          '{"error":{"class":"GenericError","desc":"x"}}',
      ],
    ]);
    expect(problems[0]?.cause).toBeInstanceOf(SyntaxError);
  });

  test("queryStatus checks the reply's shape", async () => {
    const { fake, qmp } = await connected();
    const good = qmp.queryStatus();
    await fake.nextLine();
    fake.send({ return: { status: "prelaunch", singlestep: false, running: false }, id: 2 });
    expect(await good).toEqual({ running: false, status: "prelaunch" });
    const bad = qmp.queryStatus();
    await fake.nextLine();
    fake.send({ return: { status: 3 }, id: 3 });
    const error = await rejectionOf(bad);
    expect(error).toBeInstanceOf(QemuProtocolError);
    expect((error as Error).message).toStartWith(`QMP at ${fake.path}: unexpected reply to "query-status": `);
  });

  test("the convenience commands send what QEMU expects", async () => {
    const { fake, qmp } = await connected();
    const calls: [Promise<unknown>, string, unknown][] = [
      [qmp.cont(), '{"execute":"cont","id":2}', {}],
      [qmp.stop(), '{"execute":"stop","id":3}', {}],
      [qmp.systemPowerdown(), '{"execute":"system_powerdown","id":4}', {}],
      [
        qmp.humanMonitorCommand("info version"),
        '{"execute":"human-monitor-command","arguments":{"command-line":"info version"},"id":5}',
        "7.2.22\r\n",
      ],
    ];
    for (const [index, [, raw, value]] of calls.entries()) {
      expect((await fake.nextLine()).raw).toBe(raw);
      fake.send({ return: value, id: index + 2 });
    }
    expect(await Promise.all(calls.map(([promise]) => promise))).toEqual([
      undefined,
      undefined,
      undefined,
      "7.2.22\r\n",
    ]);
  });

  test("hostForwards runs info usernet and parses the ports QEMU bound", async () => {
    const { fake, qmp } = await connected();
    const forwards = qmp.hostForwards();
    expect((await fake.nextLine()).raw).toBe(
      '{"execute":"human-monitor-command","arguments":{"command-line":"info usernet"},"id":2}',
    );
    fake.send({
      return:
        "Hub -1 (n0):\r\n  Protocol[State]    FD  Source Address  Port   Dest. Address  Port RecvQ SendQ\r\n" +
        "  TCP[HOST_FORWARD]  11       127.0.0.1 37969       10.0.2.15    22     0     0\r\n",
      id: 2,
    });
    expect(await forwards).toEqual([
      {
        protocol: "tcp",
        hostAddress: "127.0.0.1",
        hostPort: 37969,
        guestAddress: "10.0.2.15",
        guestPort: 22,
        netdev: "n0",
      },
    ]);
  });
});

describe("QmpClient events", () => {
  test("events interleaved with replies reach listeners by name and '*'; waitForEvent honours its predicate", async () => {
    const { fake, qmp } = await connected();
    const named: QmpEvent[] = [];
    const all: string[] = [];
    qmp.on("SHUTDOWN", (event) => named.push(event));
    const off = qmp.on("*", (event) => all.push(event.event));
    const guestShutdown = qmp.waitForEvent("SHUTDOWN", {
      timeoutMs: 2000,
      predicate: (event) => event.data.guest === true,
    });
    const reply = qmp.execute("system_powerdown");
    await fake.nextLine();
    fake.sendEvent("POWERDOWN");
    fake.sendEvent("SHUTDOWN", { guest: false, reason: "host-qmp-quit" });
    fake.send({ return: {}, id: 2 });
    fake.sendEvent("SHUTDOWN", { guest: true, reason: "guest-shutdown" });
    expect(await reply).toEqual({});
    expect(await guestShutdown).toEqual({
      event: "SHUTDOWN",
      data: { guest: true, reason: "guest-shutdown" },
      timestamp: { seconds: 1795301283, microseconds: 696806 },
    });
    expect(named.map((e) => e.data)).toEqual([
      { guest: false, reason: "host-qmp-quit" },
      { guest: true, reason: "guest-shutdown" },
    ]);
    expect(named[0]?.timestamp).toEqual({ seconds: 1795301283, microseconds: 696806 });
    expect(all).toEqual(["POWERDOWN", "SHUTDOWN", "SHUTDOWN"]);
    off();
    fake.sendEvent("STOP");
    await qmp.waitForEvent("STOP", { timeoutMs: 2000 });
    expect(all).toEqual(["POWERDOWN", "SHUTDOWN", "SHUTDOWN"]);
  });

  test("an event without data gets {} and waitForEvent times out saying what it waited for", async () => {
    const { fake, qmp } = await connected();
    const stop = qmp.waitForEvent("STOP", { timeoutMs: 2000 });
    fake.sendEvent("STOP");
    expect((await stop).data).toEqual({});
    const error = await rejectionOf(qmp.waitForEvent("SHUTDOWN", { timeoutMs: 80 }));
    expect(error).toBeInstanceOf(QmpTimeoutError);
    expect(error).toMatchObject({
      command: undefined,
      event: "SHUTDOWN",
      waitedFor: 'event "SHUTDOWN"',
      waitedMs: 80,
      message: `QMP at ${fake.path}: no event "SHUTDOWN" within 80 ms`,
    });
  });
});

describe("QmpClient disconnects", () => {
  test("a disconnect mid-reply rejects every pending command and event wait, then notifies close", async () => {
    const { fake, qmp } = await connected();
    const closes: unknown[] = [];
    qmp.onClose((info) => closes.push(info));
    const a = qmp.execute("query-status");
    const b = qmp.execute("query-version");
    const shutdown = qmp.waitForEvent("SHUTDOWN", { timeoutMs: 5000 });
    await fake.nextLine();
    await fake.nextLine();
    fake.write('{"return": {"running": tr');
    await Bun.sleep(20);
    fake.dropClient();
    const detail = "the peer closed the connection mid-message (25 bytes of an unfinished line)";
    for (const pending of [a, b, shutdown]) {
      const error = await rejectionOf(pending);
      expect(error).toBeInstanceOf(QmpDisconnectedError);
      expect(error).toMatchObject({
        channel: "qmp",
        socketPath: fake.path,
        pending: ["query-status", "query-version", 'event "SHUTDOWN"'],
        message: `QMP connection ${fake.path} closed while waiting for query-status, query-version, event "SHUTDOWN": ${detail}`,
      });
    }
    const info: JsonLineCloseInfo = { initiator: "remote", error: undefined, partialBytes: 25, detail };
    expect(await qmp.closed).toEqual(info);
    expect(closes).toEqual([info]);
    const after = await rejectionOf(qmp.execute("query-status"));
    expect(after).toBeInstanceOf(QmpDisconnectedError);
    expect((after as QmpDisconnectedError).pending).toEqual(["query-status"]);
    const lateWait = await rejectionOf(qmp.waitForEvent("STOP", { timeoutMs: 1000 }));
    expect(lateWait).toBeInstanceOf(QmpDisconnectedError);
    expect((lateWait as QmpDisconnectedError).pending).toEqual(['event "STOP"']);
    const lateClose = new Promise((resolve) => qmp.onClose(resolve));
    expect(await lateClose).toEqual(info);
  });

  test("close() rejects pending commands as closed by this client", async () => {
    const { fake, qmp } = await connected();
    const pending = qmp.execute("query-status");
    await fake.nextLine();
    qmp.close();
    const error = await rejectionOf(pending);
    expect(error).toBeInstanceOf(QmpDisconnectedError);
    expect((error as Error).message).toBe(
      `QMP connection ${fake.path} closed while waiting for query-status: closed by this client`,
    );
    expect((await qmp.closed).initiator).toBe("local");
  });

  test("quit resolves when QEMU closes the connection before replying", async () => {
    const { fake, qmp } = await connected();
    const quit = qmp.quit();
    expect((await fake.nextLine()).raw).toBe('{"execute":"quit","id":2}');
    fake.sendEvent("SHUTDOWN", { guest: false, reason: "host-qmp-quit" });
    fake.dropClient();
    expect(await quit).toBeUndefined();
    expect((await qmp.closed).initiator).toBe("remote");
  });
});

/** `qemu-system-x86_64 --version` → { major, minor, micro }. */
async function installedQemuVersion(): Promise<{ major: number; minor: number; micro: number }> {
  const text = await new Response(Bun.spawn(["qemu-system-x86_64", "--version"]).stdout).text();
  const match = /version (\d+)\.(\d+)\.(\d+)/.exec(text);
  if (!match) throw new Error(`cannot read the QEMU version from: ${text}`);
  return { major: Number(match[1]), minor: Number(match[2]), micro: Number(match[3]) };
}

function tcpAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

describe("QmpClient against real QEMU (paused, no guest)", () => {
  test("status, events on cont/stop, bound host forwards, one client at a time, and quit", async () => {
    const fixedPort = freePort();
    const qemu = await startPausedQemu({
      hostForwards: ["tcp:127.0.0.1:0-:22", `tcp:127.0.0.1:${fixedPort}-:80`],
    });
    try {
      const qmp = await QmpClient.connect(qemu.qmpSocket, { timeoutMs: 5000 });
      expect(qmp.version.qemu).toEqual(await installedQemuVersion());
      expect(qmp.capabilities).toEqual(["oob"]);
      expect(await qmp.queryStatus()).toEqual({ running: false, status: "prelaunch" });

      // QEMU serves one QMP client per socket: a second connects but is never greeted.
      const second = await rejectionOf(QmpClient.connect(qemu.qmpSocket, { timeoutMs: 300 }));
      expect(second).toBeInstanceOf(QemuConnectError);
      expect((second as QemuConnectError).reason).toBe("timed-out");

      const forwards = await qmp.hostForwards();
      expect(forwards).toHaveLength(2);
      const [picked, fixed] = [
        forwards.find((f) => f.guestPort === 22),
        forwards.find((f) => f.guestPort === 80),
      ];
      expect(picked).toEqual({
        protocol: "tcp",
        hostAddress: "127.0.0.1",
        hostPort: expect.any(Number),
        guestAddress: "10.0.2.15",
        guestPort: 22,
        netdev: "n0",
      });
      expect(picked?.hostPort).not.toBe(0);
      expect(await tcpAccepts(picked?.hostPort ?? 0)).toBe(true); // QEMU really listens there
      expect(fixed).toEqual({
        protocol: "tcp",
        hostAddress: "127.0.0.1",
        hostPort: fixedPort,
        guestAddress: "10.0.2.15",
        guestPort: 80,
        netdev: "n0",
      });

      const resumed = qmp.waitForEvent("RESUME", { timeoutMs: 5000 });
      await qmp.cont();
      expect((await resumed).data).toEqual({});
      expect(await qmp.queryStatus()).toEqual({ running: true, status: "running" });
      const stopped = qmp.waitForEvent("STOP", { timeoutMs: 5000 });
      await qmp.stop();
      expect((await stopped).event).toBe("STOP");
      expect(await qmp.queryStatus()).toEqual({ running: false, status: "paused" });

      const error = await rejectionOf(qmp.execute("no-such-command"));
      expect(error).toBeInstanceOf(QmpCommandError);
      expect(error).toMatchObject({
        command: "no-such-command",
        errorClass: "CommandNotFound",
        desc: "The command no-such-command has not been found",
      });

      const shutdown = qmp.waitForEvent("SHUTDOWN", { timeoutMs: 5000 });
      await qmp.quit();
      expect((await shutdown).data).toEqual({ guest: false, reason: "host-qmp-quit" });
      expect((await qmp.closed).initiator).toBe("remote");
      expect(await qemu.process.exited).toBe(0);
    } finally {
      await qemu.stop();
    }
  });
});
