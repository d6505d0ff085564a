/**
 * A scriptable newline-JSON server on a Unix socket, standing in for QEMU's QMP or the guest
 * agent in tests: it records every line a client sends and lets each test decide what to answer,
 * split, delay or cut off.
 */
import { mkdtempSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export class FakeJsonServer {
  readonly received: unknown[] = [];
  private readonly waiters: (() => void)[] = [];
  socket: Socket | undefined;

  private constructor(
    readonly path: string,
    private readonly server: Server,
  ) {}

  /** Starts a server; `onConnect` runs for each client (e.g. to send a greeting). */
  static async start(onConnect: (socket: Socket) => void = () => undefined): Promise<FakeJsonServer> {
    const path = join(mkdtempSync(join(tmpdir(), "nohead-fake-")), "sock");
    let fake: FakeJsonServer | undefined;
    const server = createServer((socket) => {
      if (!fake) return;
      fake.socket = socket;
      let buffer = "";
      socket.setEncoding("latin1");
      socket.on("data", (chunk: string) => {
        buffer += chunk;
        let nl = buffer.indexOf("\n");
        while (nl >= 0) {
          const line = buffer.slice(0, nl).replace(/^\xff/, "");
          buffer = buffer.slice(nl + 1);
          if (line.trim()) fake?.received.push(JSON.parse(line));
          for (const w of fake?.waiters.splice(0) ?? []) w();
          nl = buffer.indexOf("\n");
        }
      });
      socket.on("error", () => undefined);
      onConnect(socket);
    });
    await new Promise<void>((resolve) => server.listen(path, resolve));
    fake = new FakeJsonServer(path, server);
    return fake;
  }

  /** Resolves once `count` messages have been received. */
  async waitForMessages(count: number, timeoutMs = 2000): Promise<unknown[]> {
    const deadline = performance.now() + timeoutMs;
    while (this.received.length < count) {
      if (performance.now() > deadline)
        throw new Error(`fake server got ${this.received.length} of ${count} messages`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return this.received;
  }

  /** Writes raw text to the connected client. */
  write(text: string | Uint8Array): void {
    this.socket?.write(text);
  }

  /** Writes one JSON message and a newline. */
  send(message: unknown): void {
    this.write(`${JSON.stringify(message)}\n`);
  }

  close(): void {
    this.socket?.destroy();
    this.server.close();
  }
}

export const QMP_GREETING = {
  QMP: { version: { qemu: { major: 7, minor: 2, micro: 22 }, package: "" }, capabilities: ["oob"] },
};
