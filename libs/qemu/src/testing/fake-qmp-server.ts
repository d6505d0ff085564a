/**
 * A scriptable stand-in for QEMU's QMP socket, for tests that must force faults real QEMU will not
 * produce on demand: replies out of order, split or merged chunks, disconnects mid-reply, silence.
 * It greets like QEMU 7.2, records the exact lines the client writes, and answers only what the
 * test tells it to.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The greeting QEMU 7.2 on Debian sends (measured). */
export const QEMU_7_2_GREETING = {
  QMP: {
    version: { qemu: { micro: 22, minor: 2, major: 7 }, package: "Debian 1:7.2+dfsg-7+deb12u18+b3" },
    capabilities: ["oob"],
  },
};

/** One line the client wrote: the exact text (without the newline) and its parsed value. */
export interface ReceivedLine {
  raw: string;
  message: unknown;
}

/**
 * A fake QMP server on a Unix socket in a fresh temp dir.
 *
 * @example
 * ```ts
 * const fake = await FakeQmpServer.start();
 * const connecting = QmpClient.connect(fake.path);
 * expect((await fake.nextLine()).raw).toBe('{"execute":"qmp_capabilities","id":1}');
 * fake.send({ return: {}, id: 1 });
 * const qmp = await connecting;
 * ```
 */
export class FakeQmpServer {
  /** Every line received, in order, across connections. */
  readonly lines: ReceivedLine[] = [];
  /** How many clients have connected. */
  connections = 0;
  private client: Socket | undefined;
  private cursor = 0;
  private wake: (() => void) | undefined;

  private constructor(
    readonly path: string,
    private readonly dir: string,
    private readonly server: Server,
  ) {}

  /** Starts listening; each client gets `greeting` (none when null) as QEMU sends it. */
  static async start({ greeting = QEMU_7_2_GREETING as unknown } = {}): Promise<FakeQmpServer> {
    const dir = mkdtempSync(join(tmpdir(), "nohead-fake-qmp-"));
    const path = join(dir, "qmp.sock");
    const server = createServer();
    const fake = new FakeQmpServer(path, dir, server);
    server.on("connection", (socket) => fake.accept(socket, greeting));
    await new Promise<void>((resolve) => server.listen(path, resolve));
    return fake;
  }

  /** The next line the client wrote that no earlier call returned; waits up to `timeoutMs`. */
  async nextLine(timeoutMs = 2000): Promise<ReceivedLine> {
    const deadline = performance.now() + timeoutMs;
    while (this.cursor >= this.lines.length) {
      const left = deadline - performance.now();
      if (left <= 0) {
        throw new Error(
          `fake QMP server: no new line from the client within ${timeoutMs} ms (${this.lines.length} received)`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    const line = this.lines[this.cursor++];
    if (!line) throw new Error("fake QMP server: cursor out of range");
    return line;
  }

  /** The next message's parsed value (see {@link nextLine}). */
  async nextMessage(timeoutMs = 2000): Promise<unknown> {
    return (await this.nextLine(timeoutMs)).message;
  }

  /** Writes raw text or bytes to the connected client (for split and merged chunks). */
  write(data: string | Uint8Array): void {
    if (!this.client) throw new Error("fake QMP server: no client is connected");
    this.client.write(data);
  }

  /** Writes one message as QEMU does: JSON then CRLF. */
  send(message: unknown): void {
    this.write(`${JSON.stringify(message)}\r\n`);
  }

  /** Sends an event with a timestamp, as QEMU does. */
  sendEvent(event: string, data?: Record<string, unknown>): void {
    this.send({ timestamp: { seconds: 1795301283, microseconds: 696806 }, event, ...(data ? { data } : {}) });
  }

  /** Cuts the connection to the current client (like QEMU exiting). */
  dropClient(): void {
    this.client?.destroy();
    this.client = undefined;
  }

  /** Stops the server, drops the client and removes the temp dir. */
  async close(): Promise<void> {
    this.dropClient();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private accept(socket: Socket, greeting: unknown): void {
    this.connections++;
    this.client = socket;
    socket.on("error", () => undefined);
    let buffer = "";
    socket.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      for (let newline = buffer.indexOf("\n"); newline >= 0; newline = buffer.indexOf("\n")) {
        const raw = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        let message: unknown;
        try {
          message = JSON.parse(raw);
        } catch {
          message = undefined;
        }
        this.lines.push({ raw, message });
        this.wake?.();
      }
    });
    if (greeting !== null) socket.write(`${JSON.stringify(greeting)}\r\n`);
  }
}
