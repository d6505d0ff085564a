/**
 * Newline-delimited JSON over a Unix socket: the framing shared by QMP and the guest agent.
 * Handles partial lines and several messages per chunk, and rejects everything pending with one
 * clean error when the socket closes.
 */
import { connect, type Socket } from "node:net";
import { QemuDisconnectedError, QemuProtocolError, QemuTimeoutError } from "./qemu-errors.ts";

export class JsonLineSocket {
  private buffer = "";
  private readonly listeners = new Set<(message: unknown) => void>();
  private readonly closeListeners = new Set<(error: Error) => void>();
  private closedError: Error | undefined;

  private constructor(
    private readonly socket: Socket,
    readonly path: string,
  ) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => this.receive(chunk));
    socket.on("close", () => this.markClosed());
    socket.on("error", () => this.markClosed());
  }

  /** Connects to `path`, failing after `timeoutMs`. */
  static connect(path: string, { timeoutMs }: { timeoutMs: number }): Promise<JsonLineSocket> {
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new QemuTimeoutError(`connecting to ${path}`, timeoutMs));
      }, timeoutMs);
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.removeAllListeners("error");
        resolve(new JsonLineSocket(socket, path));
      });
      socket.once("error", (error) => {
        clearTimeout(timer);
        reject(new QemuProtocolError(`cannot connect to ${path}: ${error.message}`, { cause: error }));
      });
    });
  }

  /** Calls `listener` with every message (parsed JSON); returns an unsubscribe function. */
  onMessage(listener: (message: unknown) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Calls `listener` once when the socket closes. */
  onClose(listener: (error: Error) => void): void {
    if (this.closedError) listener(this.closedError);
    else this.closeListeners.add(listener);
  }

  get closed(): boolean {
    return this.closedError !== undefined;
  }

  /** Sends one message (or raw bytes, for the guest agent's resync byte). */
  send(message: unknown | Uint8Array): void {
    if (this.closedError) throw this.closedError;
    this.socket.write(message instanceof Uint8Array ? message : `${JSON.stringify(message)}\n`);
  }

  close(): void {
    this.socket.destroy();
    this.markClosed();
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    let newline = this.buffer.indexOf("\n");
    while (newline >= 0) {
      // The guest agent prefixes a sync reply with 0xFF; it is framing, not JSON.
      const line = this.buffer
        .slice(0, newline)
        .replace(/^[\xff\ufffd\s]+/, "")
        .trim();
      this.buffer = this.buffer.slice(newline + 1);
      if (line) this.dispatch(line);
      newline = this.buffer.indexOf("\n");
    }
  }

  private dispatch(line: string): void {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      message = { malformed: line };
    }
    for (const listener of this.listeners) listener(message);
  }

  private markClosed(): void {
    if (this.closedError) return;
    this.closedError = new QemuDisconnectedError(this.path, []);
    for (const listener of this.closeListeners) listener(this.closedError);
    this.closeListeners.clear();
  }
}
