import { afterEach, describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  QemuDisconnectedError,
  QemuProtocolError,
  QemuTimeoutError,
  QmpCommandError,
} from "./qemu-errors.ts";
import { parseUsernet, QmpClient } from "./qmp-client.ts";
import { FakeJsonServer, QMP_GREETING } from "./testing/fake-json-server.ts";

let server: FakeJsonServer | undefined;
afterEach(() => server?.close());

/** A fake QMP server that answers capabilities, then leaves the rest to the test. */
async function qmpServer(): Promise<FakeJsonServer> {
  server = await FakeJsonServer.start((socket) => socket.write(`${JSON.stringify(QMP_GREETING)}\n`));
  return server;
}

async function connected(): Promise<{ fake: FakeJsonServer; qmp: QmpClient }> {
  const fake = await qmpServer();
  const connecting = QmpClient.connect(fake.path, { timeoutMs: 2000 });
  const [caps] = (await fake.waitForMessages(1)) as { id: string }[];
  fake.send({ return: {}, id: caps?.id });
  return { fake, qmp: await connecting };
}

describe("QmpClient against a fake server", () => {
  test("negotiates capabilities first, with an id, and exposes the version", async () => {
    const { fake, qmp } = await connected();
    expect(fake.received).toEqual([{ execute: "qmp_capabilities", id: "nohead-1" }]);
    expect(qmp.version).toBe("7.2.22");
    qmp.close();
  });

  test("sends commands with arguments and unique ids, and matches replies sent out of order", async () => {
    const { fake, qmp } = await connected();
    const a = qmp.execute("query-status");
    const b = qmp.execute("human-monitor-command", { "command-line": "info usernet" });
    await fake.waitForMessages(3);
    expect(fake.received.slice(1)).toEqual([
      { execute: "query-status", id: "nohead-2" },
      { execute: "human-monitor-command", arguments: { "command-line": "info usernet" }, id: "nohead-3" },
    ]);
    fake.send({ return: "usernet text", id: "nohead-3" });
    fake.send({ return: { running: true, status: "running" }, id: "nohead-2" });
    expect(await b).toBe("usernet text");
    expect(await a).toEqual({ running: true, status: "running" });
    qmp.close();
  });

  test("events interleaved with replies reach listeners; a reply split across chunks and two in one chunk both parse", async () => {
    const { fake, qmp } = await connected();
    const events: string[] = [];
    qmp.onEvent((e) => events.push(e.event));
    const stopEvent = qmp.waitForEvent("STOP", { timeoutMs: 2000 });
    const a = qmp.execute("stop");
    const b = qmp.execute("cont");
    await fake.waitForMessages(3);
    fake.write('{"return": {}, "i');
    await Bun.sleep(20);
    fake.write(
      `d": "nohead-2"}\n{"event": "STOP", "data": {}, "timestamp": {"seconds": 1, "microseconds": 2}}\n{"return": {}, "id": "nohead-3"}\n`,
    );
    expect(await a).toEqual({});
    expect(await b).toEqual({});
    expect((await stopEvent).event).toBe("STOP");
    expect(events).toEqual(["STOP"]);
    qmp.close();
  });

  test("an error reply rejects with the QMP class and description", async () => {
    const { fake, qmp } = await connected();
    const pending = qmp.execute("bogus-command");
    await fake.waitForMessages(2);
    fake.send({
      error: { class: "CommandNotFound", desc: "The command bogus-command has not been found" },
      id: "nohead-2",
    });
    try {
      await pending;
      throw new Error("should have rejected");
    } catch (error) {
      expect(error).toBeInstanceOf(QmpCommandError);
      expect((error as QmpCommandError).command).toBe("bogus-command");
      expect((error as QmpCommandError).errorClass).toBe("CommandNotFound");
      expect((error as QmpCommandError).desc).toBe("The command bogus-command has not been found");
    }
    qmp.close();
  });

  test("a command never answered times out, naming the command and the time waited", async () => {
    const { qmp } = await connected();
    try {
      await qmp.execute("query-status", undefined, { timeoutMs: 150 });
      throw new Error("should have timed out");
    } catch (error) {
      expect(error).toBeInstanceOf(QemuTimeoutError);
      expect((error as QemuTimeoutError).what).toBe("QMP query-status");
      expect((error as QemuTimeoutError).waitedMs).toBe(150);
    }
    qmp.close();
  });

  test("a disconnect mid-reply rejects every pending command with the commands named", async () => {
    const { fake, qmp } = await connected();
    const a = qmp.execute("query-status");
    const b = qmp.execute("query-version");
    await fake.waitForMessages(3);
    fake.write('{"return": {"running": tr');
    await Bun.sleep(20);
    fake.socket?.destroy();
    for (const pending of [a, b]) {
      try {
        await pending;
        throw new Error("should have rejected");
      } catch (error) {
        expect(error).toBeInstanceOf(QemuDisconnectedError);
        expect((error as QemuDisconnectedError).pending).toEqual(["query-status", "query-version"]);
      }
    }
  });

  test("a server that is not QMP is refused clearly", async () => {
    server = await FakeJsonServer.start((socket) => socket.write('{"hello": "world"}\n'));
    try {
      await QmpClient.connect(server.path, { timeoutMs: 1000 });
      throw new Error("should have failed");
    } catch (error) {
      expect(error).toBeInstanceOf(QemuProtocolError);
      expect((error as Error).message).toContain("did not greet like QMP");
    }
  });

  test("connecting to a socket that does not exist fails at once with the path", async () => {
    try {
      await QmpClient.connect("/nonexistent/qmp.sock", { timeoutMs: 1000 });
      throw new Error("should have failed");
    } catch (error) {
      expect(error).toBeInstanceOf(QemuProtocolError);
      expect((error as Error).message).toContain("/nonexistent/qmp.sock");
    }
  });
});

describe("parseUsernet", () => {
  test("reads the host forwards, including ports QEMU chose", () => {
    const text = [
      "Hub -1 (user.0):",
      "  Protocol[State]    FD  Source Address  Port   Dest. Address  Port RecvQ SendQ",
      "  TCP[HOST_FORWARD]  13       127.0.0.1 40123       10.0.2.15    22     0     0",
      "  UDP[HOST_FORWARD]  14               * 5353       10.0.2.15    53     0     0",
      "  TCP[ESTABLISHED]   20       10.0.2.15 51000  93.184.216.34   443     0     0",
    ].join("\r\n");
    expect(parseUsernet(text)).toEqual([
      { protocol: "tcp", hostAddress: "127.0.0.1", hostPort: 40123, guestPort: 22 },
      { protocol: "udp", hostAddress: "0.0.0.0", hostPort: 5353, guestPort: 53 },
    ]);
  });
});

describe("QmpClient against real QEMU (paused, no guest)", () => {
  test("status, allocated host forwards, STOP/RESUME events, and quit", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nohead-qmp-"));
    const socket = join(dir, "qmp");
    const qemu = spawn(
      "qemu-system-x86_64",
      [
        "-machine",
        "accel=tcg",
        "-display",
        "none",
        "-nodefaults",
        "-S",
        "-netdev",
        "user,id=n0,hostfwd=tcp:127.0.0.1:0-:22,hostfwd=tcp:127.0.0.1:0-:8080",
        "-device",
        "virtio-net-pci,netdev=n0",
        "-qmp",
        `unix:${socket},server=on,wait=off`,
      ],
      { stdio: "ignore" },
    );
    try {
      const deadline = performance.now() + 10_000;
      while (!existsSync(socket) && performance.now() < deadline) await Bun.sleep(50);
      const qmp = await QmpClient.connect(socket, { timeoutMs: 5000 });
      expect(await qmp.queryStatus()).toMatchObject({ running: false, status: "prelaunch" });
      const forwards = await qmp.hostForwards();
      expect(forwards.map((f) => f.guestPort).sort()).toEqual([22, 8080]);
      for (const f of forwards) {
        expect(f.hostAddress).toBe("127.0.0.1");
        expect(f.hostPort).toBeGreaterThan(1023);
      }
      const resumed = qmp.waitForEvent("RESUME", { timeoutMs: 5000 });
      await qmp.execute("cont");
      expect((await resumed).event).toBe("RESUME");
      expect((await qmp.queryStatus()).running).toBe(true);
      const stopped = qmp.waitForEvent("STOP", { timeoutMs: 5000 });
      await qmp.execute("stop");
      expect((await stopped).event).toBe("STOP");
      const exited = new Promise<number | null>((resolve) => qemu.on("exit", (code) => resolve(code)));
      await qmp.quit();
      expect(await exited).toBe(0);
    } finally {
      qemu.kill("SIGKILL");
    }
  });
});
