import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type JsonLineCloseInfo, type JsonLineHandlers, JsonLineSocket } from "./json-line-socket.ts";
import { QemuConnectError, QmpDisconnectedError } from "./qemu-errors.ts";

type Seen =
  | { type: "message"; value: unknown }
  | { type: "invalidLine"; line: string }
  | { type: "sentinel" }
  | { type: "close"; info: JsonLineCloseInfo };

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "nohead-jls-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A raw server; resolves its first client's socket (the server side) through `peer`. */
async function rawServer(): Promise<{ path: string; peer: Promise<Socket>; received: () => Buffer }> {
  const path = join(tempDir(), "s.sock");
  const chunks: Buffer[] = [];
  let server: Server | undefined;
  const peer = new Promise<Socket>((resolve) => {
    server = createServer((socket) => {
      socket.on("data", (chunk: Buffer) => chunks.push(chunk));
      socket.on("error", () => undefined);
      cleanups.push(() => void socket.destroy());
      resolve(socket);
    });
  });
  await new Promise<void>((resolve) => server?.listen(path, resolve));
  cleanups.push(() => new Promise<void>((resolve) => server?.close(() => resolve())));
  return { path, peer, received: () => Buffer.concat(chunks) };
}

function recorder(): { seen: Seen[]; handlers: JsonLineHandlers; next: (count: number) => Promise<Seen[]> } {
  const seen: Seen[] = [];
  let wake: (() => void) | undefined;
  const push = (item: Seen) => {
    seen.push(item);
    wake?.();
  };
  return {
    seen,
    handlers: {
      message: (value) => push({ type: "message", value }),
      invalidLine: (line) => push({ type: "invalidLine", line }),
      sentinel: () => push({ type: "sentinel" }),
      close: (info) => push({ type: "close", info }),
    },
    async next(count) {
      const deadline = performance.now() + 2000;
      while (seen.length < count) {
        if (performance.now() > deadline) throw new Error(`saw ${seen.length} of ${count} deliveries`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 50);
        });
      }
      return seen;
    },
  };
}

describe("JsonLineSocket framing", () => {
  test("joins a line split across chunks and splits several lines in one chunk; CRLF and blank lines are fine", async () => {
    const server = await rawServer();
    const socket = await JsonLineSocket.connect(server.path, { channel: "qmp", timeoutMs: 2000 });
    cleanups.push(() => socket.close());
    const { seen, handlers, next } = recorder();
    socket.listen(handlers);
    const peer = await server.peer;
    peer.write('{"a":');
    await Bun.sleep(20);
    peer.write(' [1, "é"]}\r\n\r\n{"b": 2}\n{"c"');
    await Bun.sleep(20);
    peer.write(": 3}\n");
    await next(3);
    expect(seen).toEqual([
      { type: "message", value: { a: [1, "é"] } },
      { type: "message", value: { b: 2 } },
      { type: "message", value: { c: 3 } },
    ]);
  });

  test("a line that is not JSON is reported and the next line still parses", async () => {
    const server = await rawServer();
    const socket = await JsonLineSocket.connect(server.path, { channel: "qmp", timeoutMs: 2000 });
    cleanups.push(() => socket.close());
    const { seen, handlers, next } = recorder();
    socket.listen(handlers);
    (await server.peer).write('{"broken\n{"ok": true}\n');
    await next(2);
    expect(seen).toEqual([
      { type: "invalidLine", line: '{"broken' },
      { type: "message", value: { ok: true } },
    ]);
  });

  test("the sentinel byte drops the partial line before it, but not complete lines", async () => {
    const server = await rawServer();
    const socket = await JsonLineSocket.connect(server.path, {
      channel: "guest-agent",
      timeoutMs: 2000,
      sentinelByte: 0xff,
    });
    cleanups.push(() => socket.close());
    const { seen, handlers, next } = recorder();
    socket.listen(handlers);
    const peer = await server.peer;
    peer.write('{"return": 1}\n{"return": {"half-of-a-stale');
    await Bun.sleep(20);
    peer.write(Buffer.concat([Buffer.from([0xff]), Buffer.from('{"return": 42}\n')]));
    await next(3);
    expect(seen).toEqual([
      { type: "message", value: { return: 1 } },
      { type: "sentinel" },
      { type: "message", value: { return: 42 } },
    ]);
  });

  test("without a sentinel option, 0xFF is just a byte of an invalid line", async () => {
    const server = await rawServer();
    const socket = await JsonLineSocket.connect(server.path, { channel: "qmp", timeoutMs: 2000 });
    cleanups.push(() => socket.close());
    const { seen, handlers, next } = recorder();
    socket.listen(handlers);
    (await server.peer).write(Buffer.from([0xff, 0x7b, 0x7d, 0x0a]));
    await next(1);
    expect(seen).toEqual([{ type: "invalidLine", line: "\ufffd{}" }]);
  });

  test("deliveries queue while detached and flush, in order, on the next listen", async () => {
    const server = await rawServer();
    const socket = await JsonLineSocket.connect(server.path, { channel: "qmp", timeoutMs: 2000 });
    const first = recorder();
    socket.listen({
      ...first.handlers,
      message: (value) => {
        first.seen.push({ type: "message", value });
        socket.listen(undefined);
      },
    });
    const peer = await server.peer;
    peer.end('{"greeting": 1}\n{"event": "A"}\n{"event": "B"}\n');
    await socket.closed;
    expect(first.seen).toEqual([{ type: "message", value: { greeting: 1 } }]);
    const second = recorder();
    socket.listen(second.handlers);
    expect(second.seen).toEqual([
      { type: "message", value: { event: "A" } },
      { type: "message", value: { event: "B" } },
      {
        type: "close",
        info: {
          initiator: "remote",
          error: undefined,
          partialBytes: 0,
          detail: "the peer closed the connection",
        },
      },
    ]);
  });

  test("writes one JSON line per message, with an optional raw prefix", async () => {
    const server = await rawServer();
    const socket = await JsonLineSocket.connect(server.path, { channel: "guest-agent", timeoutMs: 2000 });
    cleanups.push(() => socket.close());
    socket.send({ execute: "guest-ping" });
    socket.send({ execute: "guest-sync-delimited", arguments: { id: 7 } }, { prefix: Uint8Array.of(0xff) });
    const deadline = performance.now() + 2000;
    while (server.received().length < 80 && performance.now() < deadline) await Bun.sleep(10);
    expect(server.received()).toEqual(
      Buffer.concat([
        Buffer.from('{"execute":"guest-ping"}\n'),
        Buffer.from([0xff]),
        Buffer.from('{"execute":"guest-sync-delimited","arguments":{"id":7}}\n'),
      ]),
    );
  });
});

describe("JsonLineSocket close", () => {
  test("a peer that stops mid-line is reported with the bytes it cut off", async () => {
    const server = await rawServer();
    const socket = await JsonLineSocket.connect(server.path, { channel: "qmp", timeoutMs: 2000 });
    const { seen, handlers, next } = recorder();
    socket.listen(handlers);
    const peer = await server.peer;
    peer.write('{"return": {"runn');
    await Bun.sleep(20);
    peer.destroy();
    await next(1);
    const info: JsonLineCloseInfo = {
      initiator: "remote",
      error: undefined,
      partialBytes: 17,
      detail: "the peer closed the connection mid-message (17 bytes of an unfinished line)",
    };
    expect(seen).toEqual([{ type: "close", info }]);
    expect(await socket.closed).toEqual(info);
    expect(socket.isClosed).toBe(true);
    expect(socket.closeInfo).toEqual(info);
    try {
      socket.send({ execute: "query-status" });
      throw new Error("send after close should throw");
    } catch (error) {
      expect(error).toBeInstanceOf(QmpDisconnectedError);
      expect((error as QmpDisconnectedError).pending).toEqual([]);
      expect((error as QmpDisconnectedError).socketPath).toBe(server.path);
      expect((error as Error).message).toContain("mid-message");
    }
  });

  test("close() reports a local close at once and only once", async () => {
    const server = await rawServer();
    const socket = await JsonLineSocket.connect(server.path, { channel: "qmp", timeoutMs: 2000 });
    const { seen, handlers } = recorder();
    socket.listen(handlers);
    socket.close();
    socket.close();
    const info: JsonLineCloseInfo = {
      initiator: "local",
      error: undefined,
      partialBytes: 0,
      detail: "closed by this client",
    };
    expect(seen).toEqual([{ type: "close", info }]);
    expect(await socket.closed).toEqual(info);
  });

  test("a line longer than maxLineBytes drops the connection instead of growing without bound", async () => {
    const server = await rawServer();
    const socket = await JsonLineSocket.connect(server.path, {
      channel: "qmp",
      timeoutMs: 2000,
      maxLineBytes: 64,
    });
    const { seen, handlers, next } = recorder();
    socket.listen(handlers);
    (await server.peer).write(`{"return": "${"x".repeat(100)}`);
    await next(1);
    const close = seen[0] as Extract<Seen, { type: "close" }>;
    expect(close.type).toBe("close");
    expect(close.info.initiator).toBe("remote");
    expect(close.info.partialBytes).toBe(112);
    expect(close.info.error?.message).toBe("the QMP peer sent a line longer than 64 bytes");
    expect(close.info.detail).toBe(
      "the connection failed mid-message (112 bytes of an unfinished line): the QMP peer sent a line longer than 64 bytes",
    );
  });
});

describe("JsonLineSocket.connect", () => {
  async function connectError(path: string, timeoutMs = 1000): Promise<QemuConnectError> {
    try {
      const socket = await JsonLineSocket.connect(path, { channel: "guest-agent", timeoutMs });
      socket.close();
    } catch (error) {
      expect(error).toBeInstanceOf(QemuConnectError);
      return error as QemuConnectError;
    }
    throw new Error("connect should have failed");
  }

  test("a missing socket fails at once with reason no-socket", async () => {
    const path = join(tempDir(), "missing.sock");
    const error = await connectError(path);
    expect(error.reason).toBe("no-socket");
    expect(error.channel).toBe("guest-agent");
    expect(error.socketPath).toBe(path);
    expect(error.waitedMs).toBeGreaterThanOrEqual(0);
    expect(error.message).toBe(
      `cannot connect to the guest agent socket ${path}: it does not exist; is the VM running?`,
    );
    expect((error.cause as NodeJS.ErrnoException).code).toBe("ENOENT");
  });

  test("a path nobody listens on fails with reason refused", async () => {
    const path = join(tempDir(), "stale.sock");
    // What a killed QEMU leaves behind: a socket of ours with no listener.
    const server = Bun.spawn([
      "bun",
      "-e",
      `Bun.listen({ unix: ${JSON.stringify(path)}, socket: { data() {} } })`,
    ]);
    const deadline = performance.now() + 10_000;
    while (!existsSync(path)) {
      if (performance.now() > deadline) throw new Error(`no socket at ${path} within 10 s`);
      await Bun.sleep(20);
    }
    server.kill("SIGKILL");
    await server.exited;
    const error = await connectError(path);
    expect(error.reason).toBe("refused");
    expect(error.message).toBe(
      `cannot connect to the guest agent socket ${path}: nothing listens on it; has QEMU exited?`,
    );
    expect((error.cause as NodeJS.ErrnoException).code).toBe("ECONNREFUSED");
  });

  test("an invalid timeout is refused with the option's name", async () => {
    try {
      await JsonLineSocket.connect("/tmp/x.sock", { channel: "qmp", timeoutMs: 0 });
      throw new Error("should have thrown");
    } catch (error) {
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toBe(
        "Expected the `timeoutMs` option to be a positive number, got `0`",
      );
    }
  });
});
