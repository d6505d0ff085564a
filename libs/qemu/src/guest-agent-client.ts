/**
 * A client of the QEMU guest agent (qemu-ga) over the VM's virtio-serial channel. The protocol has
 * no greeting and no ids: replies come in order, so commands are serialised, and every connection
 * starts with `guest-sync-delimited` to skip stale replies a previous client left in the channel.
 * When no agent runs in the guest, the socket connects but nothing answers: every call has a
 * deadline.
 */
import { JsonLineSocket } from "./json-line-socket.ts";
import { QemuDisconnectedError, QemuProtocolError, QemuTimeoutError } from "./qemu-errors.ts";

export interface ExecResult {
  exitCode: number | null;
  signal: number | null;
  stdout: string;
  stderr: string;
}

interface Waiter {
  command: string;
  accept: (message: Record<string, unknown>) => boolean;
  resolve: (message: Record<string, unknown>) => void;
  reject: (error: Error) => void;
}

export class GuestAgentClient {
  private waiter: Waiter | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly socket: JsonLineSocket) {
    socket.onMessage((message) => {
      const waiter = this.waiter;
      if (!waiter || typeof message !== "object" || message === null) return;
      if (!waiter.accept(message as Record<string, unknown>)) return; // a stale reply
      this.waiter = undefined;
      waiter.resolve(message as Record<string, unknown>);
    });
    socket.onClose(() => {
      const waiter = this.waiter;
      this.waiter = undefined;
      waiter?.reject(new QemuDisconnectedError(socket.path, [waiter.command]));
    });
  }

  /**
   * Connects and resynchronises with the agent.
   *
   * @example
   * const agent = await GuestAgentClient.connect(qgaSocket, { timeoutMs: 3000 });
   * const { exitCode, stdout } = await agent.exec("/bin/hostname", []);
   */
  static async connect(
    path: string,
    { timeoutMs = 5000 }: { timeoutMs?: number } = {},
  ): Promise<GuestAgentClient> {
    const socket = await JsonLineSocket.connect(path, { timeoutMs });
    const client = new GuestAgentClient(socket);
    try {
      await client.sync({ timeoutMs });
      return client;
    } catch (error) {
      client.close();
      throw error;
    }
  }

  /** `guest-sync-delimited` with a random id: replies before ours are discarded. */
  async sync({ timeoutMs = 5000 } = {}): Promise<void> {
    const id = Math.floor(Math.random() * 2 ** 31);
    // 0xFF makes the agent discard a half-received request from an earlier client.
    this.socket.send(new Uint8Array([0xff]));
    await this.call("guest-sync-delimited", { id }, { timeoutMs, accept: (m) => m.return === id });
  }

  async ping({ timeoutMs = 5000 } = {}): Promise<void> {
    await this.call("guest-ping", undefined, { timeoutMs });
  }

  /** Runs `path args…` in the guest, waits for it to exit (polling), and returns its output. */
  async exec(
    path: string,
    args: string[],
    { timeoutMs = 60_000, input }: { timeoutMs?: number; input?: string } = {},
  ): Promise<ExecResult> {
    const started = performance.now();
    const { pid } = (await this.call(
      "guest-exec",
      {
        path,
        arg: args,
        "capture-output": true,
        ...(input === undefined ? {} : { "input-data": Buffer.from(input).toString("base64") }),
      },
      { timeoutMs: Math.min(timeoutMs, 10_000) },
    )) as { pid: number };
    for (let delay = 20; ; delay = Math.min(delay * 2, 250)) {
      const remaining = timeoutMs - (performance.now() - started);
      if (remaining <= 0) throw new QemuTimeoutError(`guest-exec ${path} (pid ${pid})`, timeoutMs);
      const status = (await this.call(
        "guest-exec-status",
        { pid },
        { timeoutMs: Math.min(remaining, 10_000) },
      )) as {
        exited: boolean;
        exitcode?: number;
        signal?: number;
        "out-data"?: string;
        "err-data"?: string;
      };
      if (status.exited) {
        return {
          exitCode: status.exitcode ?? null,
          signal: status.signal ?? null,
          stdout: Buffer.from(status["out-data"] ?? "", "base64").toString("utf8"),
          stderr: Buffer.from(status["err-data"] ?? "", "base64").toString("utf8"),
        };
      }
      await Bun.sleep(delay);
    }
  }

  /** Reads a whole guest file (small files: status markers, configs). */
  async readFile(path: string, { timeoutMs = 5000 } = {}): Promise<string> {
    const handle = (await this.call("guest-file-open", { path, mode: "r" }, { timeoutMs })) as number;
    try {
      const chunks: Buffer[] = [];
      for (;;) {
        const read = (await this.call("guest-file-read", { handle, count: 65536 }, { timeoutMs })) as {
          "buf-b64": string;
          eof: boolean;
        };
        chunks.push(Buffer.from(read["buf-b64"], "base64"));
        if (read.eof) break;
      }
      return Buffer.concat(chunks).toString("utf8");
    } finally {
      await this.call("guest-file-close", { handle }, { timeoutMs }).catch(() => undefined);
    }
  }

  /** Asks the guest to shut down; the agent sends no reply on success, so this waits only for the send. */
  shutdown(mode: "powerdown" | "reboot" | "halt" = "powerdown"): void {
    this.socket.send({ execute: "guest-shutdown", arguments: { mode } });
  }

  close(): void {
    this.socket.close();
  }

  private call(
    command: string,
    args: Record<string, unknown> | undefined,
    {
      timeoutMs,
      accept = () => true,
    }: { timeoutMs: number; accept?: (m: Record<string, unknown>) => boolean },
  ): Promise<unknown> {
    const run = () =>
      new Promise<unknown>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.waiter = undefined;
          reject(new QemuTimeoutError(`guest agent ${command}`, timeoutMs));
        }, timeoutMs);
        this.waiter = {
          command,
          accept: (m) => ("return" in m || "error" in m) && accept(m),
          resolve: (m) => {
            clearTimeout(timer);
            if ("error" in m) {
              const e = m.error as { class?: string; desc?: string };
              reject(new QemuProtocolError(`guest agent ${command} failed: ${e.class}: ${e.desc}`));
            } else resolve(m.return);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        };
        try {
          this.socket.send(args === undefined ? { execute: command } : { execute: command, arguments: args });
        } catch (error) {
          clearTimeout(timer);
          this.waiter = undefined;
          reject(error);
        }
      });
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }
}
