/**
 * Newline-delimited JSON over a Unix socket: the transport shared by the QMP and guest-agent
 * clients. It connects with a deadline, frames bytes into lines (a line may span chunks, a chunk
 * may hold several lines), parses each line as JSON, and reports the end of the connection once,
 * with who closed it and whether it was cut mid-message. Bad lines are reported, never thrown.
 *
 * Framing works on bytes, not text: the guest agent marks a resync with a 0xFF byte, which is
 * not valid UTF-8 and must drop whatever partial line came before it.
 *
 * The transport is Bun's own socket (`Bun.connect`), not node:net: these clients run in every
 * VM's worker thread, and node:net costs each worker ~1.4 MiB more.
 */
import type { Socket } from "bun";
import { socketTrustProblem } from "./owned-socket.ts";
import { describeChannel, type QemuChannel, QemuConnectError, QmpDisconnectedError } from "./qemu-errors.ts";

/** How a connection ended. */
export interface JsonLineCloseInfo {
  /** `local`: this process called `close()`; `remote`: the peer closed or the socket failed. */
  initiator: "local" | "remote";
  /** The socket error that ended the connection (e.g. ECONNRESET), if any. */
  error: Error | undefined;
  /** Bytes of an unfinished line thrown away: non-zero means the peer stopped mid-message. */
  partialBytes: number;
  /** One sentence for error messages, e.g. "the peer closed the connection mid-message (25 bytes…)". */
  detail: string;
}

/** What the socket reports, in order. */
export interface JsonLineHandlers {
  /** A complete line that parsed as JSON. */
  message(value: unknown): void;
  /** A complete line that is not JSON (a protocol error on the peer's side). */
  invalidLine(line: string, error: Error): void;
  /** The sentinel byte arrived; the partial line before it was dropped. */
  sentinel(): void;
  /** The connection ended; called once, last. */
  close(info: JsonLineCloseInfo): void;
}

/** Options of {@link JsonLineSocket.connect}. */
export interface JsonLineSocketOptions {
  /** Which protocol runs on the socket (for error messages). */
  channel: QemuChannel;
  /** Deadline for the connection itself. */
  timeoutMs: number;
  /** A byte that resets framing (the guest agent's 0xFF); none by default. */
  sentinelByte?: number;
  /** Longest line accepted before the connection is dropped as broken (default 64 MiB). */
  maxLineBytes?: number;
}

type Delivery =
  | { type: "message"; value: unknown }
  | { type: "invalidLine"; line: string; error: Error }
  | { type: "sentinel" }
  | { type: "close"; info: JsonLineCloseInfo };

const NEWLINE = 0x0a;

/**
 * One connection carrying newline-delimited JSON.
 *
 * Deliveries that arrive while no handlers are set are queued, so a caller can read a greeting
 * with temporary handlers, detach them (`listen(undefined)`), and hand the socket on without
 * losing a message that shared the greeting's chunk.
 *
 * @example
 * ```ts
 * const socket = await JsonLineSocket.connect("/run/vm/qmp.sock", { channel: "qmp", timeoutMs: 2000 });
 * socket.listen({
 *   message: (value) => console.log(value),
 *   invalidLine: (line) => console.warn("not JSON:", line),
 *   sentinel: () => {},
 *   close: (info) => console.log("closed:", info.detail),
 * });
 * socket.send({ execute: "qmp_capabilities", id: 1 });
 * ```
 */
export class JsonLineSocket {
  readonly socketPath: string;
  readonly channel: QemuChannel;
  /** Resolves (never rejects) once the connection has ended. */
  readonly closed: Promise<JsonLineCloseInfo>;

  private handlers: JsonLineHandlers | undefined;
  private readonly queue: Delivery[] = [];
  private partial: Buffer[] = [];
  private partialBytes = 0;
  /** Bytes `send` accepted that the socket has not taken yet. */
  private unsent: Buffer[] = [];
  private ended: JsonLineCloseInfo | undefined;
  private lastError: Error | undefined;
  private resolveClosed: (info: JsonLineCloseInfo) => void = () => undefined;

  private constructor(
    private readonly socket: Socket,
    socketPath: string,
    channel: QemuChannel,
    private readonly sentinelByte: number | undefined,
    private readonly maxLineBytes: number,
  ) {
    this.socketPath = socketPath;
    this.channel = channel;
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
  }

  /**
   * Connects to the Unix socket at `socketPath` within `timeoutMs`, once it is proved to be a
   * socket of this user (another user's socket there could answer as the VM).
   * Rejects with {@link QemuConnectError} (`reason`: no-socket, untrusted, refused, timed-out, error).
   */
  static connect(socketPath: string, options: JsonLineSocketOptions): Promise<JsonLineSocket> {
    const { channel, timeoutMs, sentinelByte, maxLineBytes = 64 * 1024 * 1024 } = options;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      return Promise.reject(
        new TypeError(`Expected the \`timeoutMs\` option to be a positive number, got \`${timeoutMs}\``),
      );
    }
    const label = describeChannel(channel);
    const untrusted = socketTrustProblem(socketPath);
    if (untrusted) {
      return Promise.reject(
        new QemuConnectError(
          `refusing the ${label} socket ${socketPath}: ${untrusted}; another user may be impersonating the VM (remove it, and check who made it)`,
          { channel, socketPath, reason: "untrusted", waitedMs: 0 },
        ),
      );
    }
    const started = performance.now();
    return new Promise((resolve, reject) => {
      let instance: JsonLineSocket | undefined;
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        const waitedMs = Math.round(performance.now() - started);
        reject(
          new QemuConnectError(
            `cannot connect to the ${label} socket ${socketPath}: no connection within ${timeoutMs} ms`,
            { channel, socketPath, reason: "timed-out", waitedMs },
          ),
        );
      }, timeoutMs);
      Bun.connect({
        unix: socketPath,
        socket: {
          open(socket) {
            if (timedOut) {
              socket.terminate();
              return;
            }
            clearTimeout(timer);
            instance = new JsonLineSocket(socket, socketPath, channel, sentinelByte, maxLineBytes);
            resolve(instance);
          },
          data: (_socket, chunk) => instance?.receive(chunk),
          drain: () => instance?.flush(),
          error: (_socket, error) => instance?.failWith(error),
          close: (_socket, error) => {
            if (error) instance?.failWith(error);
            instance?.finish("remote");
          },
          // A connect failure rejects the promise below; this only keeps it from also being unhandled.
          connectError: () => undefined,
        },
      }).catch((error: NodeJS.ErrnoException) => {
        if (timedOut) return;
        clearTimeout(timer);
        const waitedMs = Math.round(performance.now() - started);
        const fail = (reason: QemuConnectError["reason"], message: string) =>
          reject(
            new QemuConnectError(
              `cannot connect to the ${label} socket ${socketPath}: ${message}`,
              { channel, socketPath, reason, waitedMs },
              { cause: error },
            ),
          );
        if (error.code === "ENOENT") fail("no-socket", "it does not exist; is the VM running?");
        else if (error.code === "ECONNREFUSED") fail("refused", "nothing listens on it; has QEMU exited?");
        else fail("error", error.message);
      });
    });
  }

  /** True once the connection has ended. */
  get isClosed(): boolean {
    return this.ended !== undefined;
  }

  /** How the connection ended; undefined while it is open. */
  get closeInfo(): JsonLineCloseInfo | undefined {
    return this.ended;
  }

  /**
   * Sets who receives messages (queued ones first, synchronously). `undefined` detaches: later
   * deliveries queue until the next `listen`.
   */
  listen(handlers: JsonLineHandlers | undefined): void {
    this.handlers = handlers;
    while (this.handlers && this.queue.length > 0) {
      const next = this.queue.shift();
      if (next) this.dispatch(this.handlers, next);
    }
  }

  /**
   * Writes `message` as one JSON line, after the raw `prefix` bytes if given.
   * Throws {@link QmpDisconnectedError} once the connection has ended.
   */
  send(message: unknown, { prefix }: { prefix?: Uint8Array } = {}): void {
    if (this.ended) {
      throw new QmpDisconnectedError({
        channel: this.channel,
        socketPath: this.socketPath,
        pending: [],
        detail: this.ended.detail,
      });
    }
    const line = Buffer.from(`${JSON.stringify(message)}\n`, "utf8");
    this.unsent.push(prefix ? Buffer.concat([prefix, line]) : line);
    this.flush();
  }

  /** Ends the connection now; the close handler runs before this returns. Idempotent. */
  close(): void {
    if (this.ended) return;
    // Finish first: terminate() runs the socket's close handler at once.
    this.finish("local");
    this.socket.terminate();
  }

  /** Writes what the socket takes of the unsent bytes; the rest waits for its `drain`. */
  private flush(): void {
    while (this.unsent.length > 0 && !this.ended) {
      const next = this.unsent[0] as Buffer;
      const written = Math.max(0, this.socket.write(next));
      if (written < next.length) {
        this.unsent[0] = next.subarray(written);
        return;
      }
      this.unsent.shift();
    }
  }

  private failWith(error: Error): void {
    this.lastError ??= error;
  }

  private receive(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length && !this.ended) {
      const newline = chunk.indexOf(NEWLINE, start);
      const sentinel = this.sentinelByte === undefined ? -1 : chunk.indexOf(this.sentinelByte, start);
      if (sentinel !== -1 && (newline === -1 || sentinel < newline)) {
        // Whatever preceded the sentinel on this line is a stale fragment: drop it.
        this.partial = [];
        this.partialBytes = 0;
        start = sentinel + 1;
        this.deliver({ type: "sentinel" });
        continue;
      }
      if (newline === -1) {
        this.partial.push(chunk.subarray(start));
        this.partialBytes += chunk.length - start;
        if (this.partialBytes > this.maxLineBytes)
          this.abort(`a line longer than ${this.maxLineBytes} bytes`);
        return;
      }
      const piece = chunk.subarray(start, newline);
      const bytes = this.partial.length > 0 ? Buffer.concat([...this.partial, piece]) : piece;
      this.partial = [];
      this.partialBytes = 0;
      start = newline + 1;
      this.parseLine(bytes.toString("utf8"));
    }
  }

  private parseLine(raw: string): void {
    const line = raw.trim(); // QEMU ends lines with \r\n
    if (line === "") return;
    try {
      this.deliver({ type: "message", value: JSON.parse(line) });
    } catch (error) {
      this.deliver({ type: "invalidLine", line, error: error as Error });
    }
  }

  private abort(reason: string): void {
    this.lastError = new Error(`the ${describeChannel(this.channel)} peer sent ${reason}`);
    this.finish("remote");
    this.socket.terminate();
  }

  private finish(initiator: "local" | "remote"): void {
    if (this.ended) return;
    const partialBytes = this.partialBytes;
    this.partial = [];
    this.partialBytes = 0;
    const error = this.lastError;
    const cut = partialBytes > 0 ? ` mid-message (${partialBytes} bytes of an unfinished line)` : "";
    const detail =
      initiator === "local"
        ? "closed by this client"
        : error
          ? `the connection failed${cut}: ${error.message}`
          : `the peer closed the connection${cut}`;
    this.ended = { initiator, error, partialBytes, detail };
    this.deliver({ type: "close", info: this.ended });
    this.resolveClosed(this.ended);
  }

  private deliver(delivery: Delivery): void {
    if (this.handlers && this.queue.length === 0) this.dispatch(this.handlers, delivery);
    else this.queue.push(delivery);
  }

  private dispatch(handlers: JsonLineHandlers, delivery: Delivery): void {
    switch (delivery.type) {
      case "message":
        handlers.message(delivery.value);
        break;
      case "invalidLine":
        handlers.invalidLine(delivery.line, delivery.error);
        break;
      case "sentinel":
        handlers.sentinel();
        break;
      case "close":
        handlers.close(delivery.info);
        break;
    }
  }
}
