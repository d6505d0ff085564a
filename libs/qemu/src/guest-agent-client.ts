/**
 * A client of the QEMU guest agent (qemu-ga), reached through the chardev socket QEMU serves for
 * the VM's `org.qemu.guest_agent.0` virtio-serial port.
 *
 * The protocol is QMP's framing without a greeting and without ids: replies come in order. So
 * commands run one at a time, and the stream is resynchronised with `guest-sync-delimited` on
 * connect and after any timeout, because the channel outlives connections: a reply meant for an
 * earlier client (or half of one) may still be buffered in it. QEMU accepts the connection even
 * when no agent runs in the guest, so every call has a deadline.
 */
import * as z from "zod/mini";
import { checkTimeout } from "./check-timeout.ts";
import { type JsonLineCloseInfo, JsonLineSocket } from "./json-line-socket.ts";
import {
  GuestAgentTimeoutError,
  GuestExecError,
  QemuProtocolError,
  QmpCommandError,
  QmpDisconnectedError,
} from "./qemu-errors.ts";
import { QmpMessage } from "./qmp-message.ts";

/** The agent's answer to a finished program. */
export interface ExecResult {
  /** Exit status; null when a signal ended the program. */
  exitCode: number | null;
  /** The signal that ended the program, or null. */
  signal: number | null;
  stdout: string;
  stderr: string;
  /** Present (true) only when the agent cut stdout: it caps captured output (16 MiB in QEMU 7.2). */
  stdoutTruncated?: true;
  /** Present (true) only when the agent cut stderr. */
  stderrTruncated?: true;
}

/** Options of {@link GuestAgentClient.exec}. */
export interface ExecOptions {
  /** The program's whole environment (`KEY=value`; the agent does not merge it with its own). */
  env?: Record<string, string>;
  /** Bytes for the program's stdin. */
  input?: string | Uint8Array;
  /** Deadline for start, run and output together (default 60000). */
  timeoutMs?: number;
}

/** How {@link GuestAgentClient.shutdown} knows the request was taken. */
export type ShutdownOutcome =
  /** No error came back and the agent answered the sync sent right after it. */
  | "acknowledged"
  /** The connection ended (QEMU exited as the guest powered off). */
  | "connection-closed"
  /** Nothing came back before the deadline: the guest may be shutting down, or the agent hung. */
  | "no-reply";

/** `guest-info`: the agent's version and commands. */
export const GuestAgentInfo = z.pipe(
  z.object({
    version: z.string(),
    supported_commands: z.array(
      z.object({ name: z.string(), enabled: z.boolean(), "success-response": z.boolean() }),
    ),
  }),
  z.transform((info) => ({
    version: info.version,
    supportedCommands: info.supported_commands.map((c) => ({
      name: c.name,
      enabled: c.enabled,
      successResponse: c["success-response"],
    })),
  })),
);
export type GuestAgentInfo = z.output<typeof GuestAgentInfo>;

/**
 * A fresh id for guest-sync: it only has to differ from the ids of earlier, possibly stale,
 * replies on the channel, so Math.random suffices (node:crypto would cost each worker ~1 MiB).
 */
const syncId = () => 1 + Math.floor(Math.random() * (2 ** 31 - 1));

const ExecStarted = z.object({ pid: z.int() });
const ExecStatus = z.object({
  exited: z.boolean(),
  exitcode: z.optional(z.int()),
  signal: z.optional(z.int()),
  "out-data": z.optional(z.string()),
  "err-data": z.optional(z.string()),
  "out-truncated": z.optional(z.boolean()),
  "err-truncated": z.optional(z.boolean()),
});
const FileRead = z.object({ count: z.int(), "buf-b64": z.string(), eof: z.boolean() });

/** Options of {@link GuestAgentClient.connect}. */
export interface GuestAgentConnectOptions {
  /** Deadline for connecting and the first sync together (default 5000). */
  timeoutMs?: number;
  /** Default deadline of each command (default 10000). */
  commandTimeoutMs?: number;
}

/** The one request in flight: it sees every message until it settles. */
interface Exchange {
  command: string;
  message(value: unknown): void;
  sentinel(): void;
  invalidLine(line: string): void;
  close(info: JsonLineCloseInfo): void;
}

const SENTINEL = 0xff;
const READ_CHUNK = 1024 * 1024;
/** Least time a bookkeeping request (a last status poll, closing a file) gets past a deadline. */
const AGENT_GRACE_MS = 1000;

/**
 * A connected guest-agent client.
 *
 * @example
 * ```ts
 * const agent = await GuestAgentClient.connect("/run/user/0/nohead/web-1/qga.sock", { timeoutMs: 3000 });
 * const { exitCode, stdout } = await agent.exec("/bin/sh", ["-c", "hostname"], { timeoutMs: 10_000 });
 * const status = await agent.readFile("/run/nohead/init-status");
 * agent.close();
 * ```
 */
export class GuestAgentClient {
  readonly socketPath: string;
  /** Resolves (never rejects) once the connection has ended. */
  readonly closed: Promise<JsonLineCloseInfo>;

  private exchange: Exchange | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  private needsSync = true;
  private readonly commandTimeoutMs: number;

  private constructor(
    private readonly socket: JsonLineSocket,
    commandTimeoutMs: number,
  ) {
    this.socketPath = socket.socketPath;
    this.closed = socket.closed;
    this.commandTimeoutMs = commandTimeoutMs;
    socket.listen({
      // Without an exchange in flight, a message is a stale reply: the next sync skips such data.
      message: (value) => this.exchange?.message(value),
      sentinel: () => this.exchange?.sentinel(),
      invalidLine: (line) => {
        this.needsSync = true;
        this.exchange?.invalidLine(line);
      },
      close: (info) => this.exchange?.close(info),
    });
  }

  /**
   * Connects to the guest agent's socket and synchronises with the agent. Rejects with
   * {@link GuestAgentTimeoutError} when nothing answers (no agent in the guest, or not booted yet).
   */
  static async connect(
    socketPath: string,
    options: GuestAgentConnectOptions = {},
  ): Promise<GuestAgentClient> {
    const { timeoutMs = 5000, commandTimeoutMs = 10_000 } = options;
    checkTimeout("timeoutMs", timeoutMs);
    checkTimeout("commandTimeoutMs", commandTimeoutMs);
    const started = performance.now();
    const socket = await JsonLineSocket.connect(socketPath, {
      channel: "guest-agent",
      timeoutMs,
      sentinelByte: SENTINEL,
    });
    const client = new GuestAgentClient(socket, commandTimeoutMs);
    try {
      await client.sync({ timeoutMs: Math.max(1, timeoutMs - (performance.now() - started)) });
      return client;
    } catch (error) {
      client.close();
      throw error;
    }
  }

  /**
   * Resynchronises: sends 0xFF (the agent drops any half-received request) and
   * `guest-sync-delimited` with a random id, then skips everything until the 0xFF that precedes
   * the reply carrying that id.
   */
  sync({ timeoutMs = this.commandTimeoutMs }: { timeoutMs?: number } = {}): Promise<void> {
    checkTimeout("timeoutMs", timeoutMs);
    return this.serialized(() => this.syncNow(performance.now() + timeoutMs, timeoutMs));
  }

  /**
   * Runs one agent command; resolves with its `return` value. Rejects with {@link QmpCommandError},
   * {@link GuestAgentTimeoutError} or {@link QmpDisconnectedError}.
   *
   * @example
   * ```ts
   * const time = await agent.execute<number>("guest-get-time");
   * ```
   */
  execute<T = unknown>(
    command: string,
    args?: Record<string, unknown>,
    { timeoutMs = this.commandTimeoutMs }: { timeoutMs?: number } = {},
  ): Promise<T> {
    checkTimeout("timeoutMs", timeoutMs);
    return this.serialized(async () => {
      const deadline = performance.now() + timeoutMs;
      if (this.needsSync) await this.syncNow(deadline, timeoutMs);
      return (await this.request(command, args, deadline, timeoutMs)) as T;
    });
  }

  /** `guest-ping`: resolves when the agent answers. */
  async ping(options?: { timeoutMs?: number }): Promise<void> {
    await this.execute("guest-ping", undefined, options);
  }

  /** `guest-info`: the agent's version and the commands it supports. */
  async info(options?: { timeoutMs?: number }): Promise<GuestAgentInfo> {
    return this.parseReturn(
      "guest-info",
      GuestAgentInfo,
      await this.execute("guest-info", undefined, options),
    );
  }

  /**
   * Runs `path` with `args` in the guest (`guest-exec` with captured output), polls
   * `guest-exec-status` until it exits, and returns its exit status and decoded output. A non-zero
   * exit is a result, not an error. Rejects with {@link GuestExecError} when the program cannot
   * start or does not exit within `timeoutMs`.
   *
   * @example
   * ```ts
   * const run = await agent.exec("/bin/sh", ["-c", "cat; exit 3"], { input: "hi", env: { PATH: "/bin" } });
   * // { exitCode: 3, signal: null, stdout: "hi", stderr: "" }
   * ```
   */
  async exec(path: string, args: string[], options: ExecOptions = {}): Promise<ExecResult> {
    const { env, input, timeoutMs = 60_000 } = options;
    checkTimeout("timeoutMs", timeoutMs);
    const started = performance.now();
    const remaining = () => Math.max(1, timeoutMs - (performance.now() - started));
    let pid: number;
    try {
      const reply = await this.execute(
        "guest-exec",
        {
          path,
          arg: args,
          "capture-output": true,
          ...(env === undefined ? {} : { env: Object.entries(env).map(([key, value]) => `${key}=${value}`) }),
          ...(input === undefined ? {} : { "input-data": Buffer.from(input).toString("base64") }),
        },
        { timeoutMs: remaining() },
      );
      pid = this.parseReturn("guest-exec", ExecStarted, reply).pid;
    } catch (error) {
      if (!(error instanceof QmpCommandError)) throw error;
      throw new GuestExecError(
        {
          socketPath: this.socketPath,
          path,
          args,
          reason: "start-failed",
          waitedMs: Math.round(performance.now() - started),
        },
        { cause: error },
      );
    }
    // Short programs finish in milliseconds; long ones should not flood the channel with polls.
    for (let delayMs = 2; ; delayMs = Math.min(delayMs * 2, 250)) {
      // The poll after the deadline still gets time to answer: running out of time is the
      // program's failure (GuestExecError), not the agent's (GuestAgentTimeoutError).
      const reply = await this.execute(
        "guest-exec-status",
        { pid },
        { timeoutMs: Math.max(remaining(), AGENT_GRACE_MS) },
      );
      const status = this.parseReturn("guest-exec-status", ExecStatus, reply);
      if (status.exited) {
        return {
          exitCode: status.exitcode ?? null,
          signal: status.signal ?? null,
          stdout: Buffer.from(status["out-data"] ?? "", "base64").toString("utf8"),
          stderr: Buffer.from(status["err-data"] ?? "", "base64").toString("utf8"),
          ...(status["out-truncated"] ? { stdoutTruncated: true as const } : {}),
          ...(status["err-truncated"] ? { stderrTruncated: true as const } : {}),
        };
      }
      const left = timeoutMs - (performance.now() - started);
      if (left <= 0) {
        throw new GuestExecError({
          socketPath: this.socketPath,
          path,
          args,
          reason: "timed-out",
          pid,
          waitedMs: Math.round(performance.now() - started),
        });
      }
      await Bun.sleep(Math.min(delayMs, left));
    }
  }

  /**
   * Reads a whole guest file (`guest-file-open`/`-read`/`-close`) as bytes. Rejects with
   * {@link QemuProtocolError} when it is larger than `maxBytes` (default 16 MiB).
   */
  async readFileBytes(
    path: string,
    {
      timeoutMs = this.commandTimeoutMs,
      maxBytes = 16 * 1024 * 1024,
    }: { timeoutMs?: number; maxBytes?: number } = {},
  ): Promise<Uint8Array> {
    checkTimeout("timeoutMs", timeoutMs);
    const started = performance.now();
    const remaining = () => Math.max(1, timeoutMs - (performance.now() - started));
    const opened = await this.execute("guest-file-open", { path, mode: "r" }, { timeoutMs: remaining() });
    const handle = this.parseReturn("guest-file-open", z.int(), opened);
    try {
      const chunks: Buffer[] = [];
      let total = 0;
      for (;;) {
        const reply = await this.execute(
          "guest-file-read",
          { handle, count: READ_CHUNK },
          { timeoutMs: remaining() },
        );
        const read = this.parseReturn("guest-file-read", FileRead, reply);
        const chunk = Buffer.from(read["buf-b64"], "base64");
        total += chunk.length;
        if (total > maxBytes) {
          throw new QemuProtocolError(
            `guest file ${path} is larger than ${maxBytes} bytes; read it another way (e.g. scp)`,
            { channel: "guest-agent", socketPath: this.socketPath },
          );
        }
        chunks.push(chunk);
        if (read.eof || read.count === 0) return new Uint8Array(Buffer.concat(chunks));
      }
    } finally {
      // Handles leak in the agent otherwise; a failure to close must not hide the read's outcome.
      await this.execute(
        "guest-file-close",
        { handle },
        { timeoutMs: Math.max(remaining(), AGENT_GRACE_MS) },
      ).catch(() => undefined);
    }
  }

  /** Reads a whole guest file as UTF-8 text (see {@link readFileBytes}). */
  async readFile(path: string, options?: { timeoutMs?: number; maxBytes?: number }): Promise<string> {
    return Buffer.from(await this.readFileBytes(path, options)).toString("utf8");
  }

  /**
   * Asks the guest to shut down (`guest-shutdown`). The agent sends no reply when it succeeds,
   * only an error when it fails; so a `guest-sync` follows, and the outcome says what settled it.
   * Rejects with {@link QmpCommandError} when the agent refused.
   */
  shutdown(
    mode: "powerdown" | "reboot" | "halt" = "powerdown",
    { timeoutMs = this.commandTimeoutMs }: { timeoutMs?: number } = {},
  ): Promise<{ outcome: ShutdownOutcome }> {
    checkTimeout("timeoutMs", timeoutMs);
    return this.serialized(async () => {
      const deadline = performance.now() + timeoutMs;
      if (this.needsSync) await this.syncNow(deadline, timeoutMs);
      const marker = syncId();
      const outcome = await new Promise<ShutdownOutcome>((resolve, reject) => {
        const timer = setTimeout(
          () => {
            this.exchange = undefined;
            this.needsSync = true;
            resolve("no-reply");
          },
          Math.max(1, deadline - performance.now()),
        );
        const settle = (outcome: () => void) => {
          clearTimeout(timer);
          this.exchange = undefined;
          outcome();
        };
        this.exchange = {
          command: "guest-shutdown",
          message: (value) => {
            const parsed = QmpMessage.safeParse(value);
            if (!parsed.success) return;
            if (parsed.data.kind === "error") {
              this.needsSync = true; // the sync's reply is still to come
              const { class: errorClass, desc } = parsed.data.error;
              settle(() => reject(this.commandError("guest-shutdown", errorClass, desc)));
            } else if (parsed.data.kind === "return" && parsed.data.return === marker) {
              settle(() => resolve("acknowledged"));
            }
          },
          sentinel: () => undefined,
          invalidLine: () => undefined,
          close: () => settle(() => resolve("connection-closed")),
        };
        if (this.socket.isClosed) {
          settle(() => resolve("connection-closed"));
          return;
        }
        this.socket.send({ execute: "guest-shutdown", arguments: { mode } });
        this.socket.send({ execute: "guest-sync", arguments: { id: marker } });
      });
      return { outcome };
    });
  }

  /** Closes the connection; a pending command rejects with {@link QmpDisconnectedError}. Idempotent. */
  close(): void {
    this.socket.close();
  }

  /** Runs `job` after every earlier one settled: one request at a time keeps replies in order. */
  private serialized<T>(job: () => Promise<T>): Promise<T> {
    const run = this.tail.then(job, job);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private syncNow(deadline: number, timeoutMs: number): Promise<void> {
    const id = syncId();
    return new Promise<void>((resolve, reject) => {
      let sawSentinel = false;
      const fail = this.arm("guest-sync-delimited", deadline, timeoutMs, reject);
      this.exchange = {
        command: "guest-sync-delimited",
        message: (value) => {
          if (!sawSentinel) return; // stale replies, and the agent's complaint about our 0xFF
          const parsed = QmpMessage.safeParse(value);
          if (parsed.success && parsed.data.kind === "return" && parsed.data.return === id) {
            fail.clear();
            this.needsSync = false;
            resolve();
          }
        },
        sentinel: () => {
          sawSentinel = true;
        },
        invalidLine: () => undefined,
        close: (info) => fail.disconnected(info),
      };
      fail.send({ execute: "guest-sync-delimited", arguments: { id } }, Uint8Array.of(SENTINEL));
    });
  }

  private request(
    command: string,
    args: Record<string, unknown> | undefined,
    deadline: number,
    timeoutMs: number,
  ): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const fail = this.arm(command, deadline, timeoutMs, reject);
      this.exchange = {
        command,
        message: (value) => {
          const parsed = QmpMessage.safeParse(value);
          fail.clear();
          if (parsed.success && parsed.data.kind === "return") {
            resolve(parsed.data.return);
          } else if (parsed.success && parsed.data.kind === "error") {
            reject(this.commandError(command, parsed.data.error.class, parsed.data.error.desc));
          } else {
            this.needsSync = true;
            reject(
              new QemuProtocolError(
                `guest agent at ${this.socketPath} answered "${command}" with a message of unknown shape: ` +
                  JSON.stringify(value).slice(0, 200),
                { channel: "guest-agent", socketPath: this.socketPath },
              ),
            );
          }
        },
        sentinel: () => undefined,
        invalidLine: (line) => {
          fail.clear();
          reject(
            new QemuProtocolError(
              `guest agent at ${this.socketPath} answered "${command}" with a line that is not JSON: ${line.slice(0, 200)}`,
              { channel: "guest-agent", socketPath: this.socketPath },
            ),
          );
        },
        close: (info) => fail.disconnected(info),
      };
      fail.send(args === undefined ? { execute: command } : { execute: command, arguments: args });
    });
  }

  /** The deadline, disconnect and send-failure paths every exchange shares. */
  private arm(command: string, deadline: number, timeoutMs: number, reject: (error: Error) => void) {
    const clear = () => {
      clearTimeout(timer);
      this.exchange = undefined;
    };
    const timer = setTimeout(
      () => {
        clear();
        // The reply may still come: the next command must resync to skip it.
        this.needsSync = true;
        reject(
          new GuestAgentTimeoutError({
            socketPath: this.socketPath,
            command,
            waitedMs: Math.round(timeoutMs),
          }),
        );
      },
      Math.max(1, deadline - performance.now()),
    );
    const disconnected = (info: JsonLineCloseInfo) => {
      clear();
      reject(
        new QmpDisconnectedError(
          { channel: "guest-agent", socketPath: this.socketPath, pending: [command], detail: info.detail },
          { cause: info.error },
        ),
      );
    };
    const send = (message: unknown, prefix?: Uint8Array) => {
      const ended = this.socket.closeInfo;
      if (ended) disconnected(ended);
      else this.socket.send(message, prefix ? { prefix } : {});
    };
    return { clear, disconnected, send };
  }

  private commandError(command: string, errorClass: string, desc: string): QmpCommandError {
    return new QmpCommandError({
      channel: "guest-agent",
      socketPath: this.socketPath,
      command,
      errorClass,
      desc,
    });
  }

  private parseReturn<T>(command: string, schema: z.ZodMiniType<T>, value: unknown): T {
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    throw new QemuProtocolError(
      `guest agent at ${this.socketPath}: unexpected reply to "${command}": ${z.prettifyError(parsed.error)}`,
      { channel: "guest-agent", socketPath: this.socketPath },
    );
  }
}
