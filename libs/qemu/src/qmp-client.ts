/**
 * A QMP client (QEMU Machine Protocol, docs/interop/qmp-spec): reads the greeting, negotiates
 * capabilities, matches replies to commands by a unique id (so a late reply to a command that
 * timed out is dropped, never handed to another), delivers asynchronous events, and rejects every
 * pending command with one clean error when QEMU goes away.
 *
 * QEMU serves one client per QMP socket: a second client connects but gets no greeting until the
 * first leaves, which is why the greeting has a deadline of its own.
 */
import * as z from "zod/mini";
import { checkTimeout } from "./check-timeout.ts";
import { type JsonLineCloseInfo, JsonLineSocket } from "./json-line-socket.ts";
import {
  QemuConnectError,
  QemuProtocolError,
  QmpCommandError,
  QmpDisconnectedError,
  QmpTimeoutError,
} from "./qemu-errors.ts";
import { QmpMessage, type QmpVersion } from "./qmp-message.ts";
import { type BoundHostForward, parseUsernetForwards } from "./usernet-forwards.ts";

/** An asynchronous QMP event. */
export interface QmpEvent {
  /** Event name, e.g. `STOP`, `RESUME`, `SHUTDOWN`, `POWERDOWN`. */
  event: string;
  /** The event's data (`{}` when QEMU sent none). */
  data: Record<string, unknown>;
  /** When QEMU emitted it (host clock). */
  timestamp: { seconds: number; microseconds: number };
}

/** Options of {@link QmpClient.connect}. */
export interface QmpConnectOptions {
  /** Deadline for connecting, the greeting and capability negotiation together (default 5000). */
  timeoutMs?: number;
  /** Default deadline of each command (default 10000). */
  commandTimeoutMs?: number;
}

/** `query-status`: whether the guest CPUs run, and QEMU's run state (`prelaunch`, `paused`, `running`, …). */
export const QmpStatus = z.object({ running: z.boolean(), status: z.string() });
export type QmpStatus = z.infer<typeof QmpStatus>;

type Listener<T> = (value: T) => void;

interface PendingCommand {
  command: string;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

interface EventWaiter {
  event: string;
  reject: (error: Error) => void;
}

/**
 * A connected QMP client.
 *
 * @example
 * ```ts
 * const qmp = await QmpClient.connect("/run/user/0/nohead/web-1/qmp.sock", { timeoutMs: 2000 });
 * console.log(qmp.version.qemu.major, await qmp.queryStatus()); // 7 { running: false, status: "prelaunch" }
 * const resumed = qmp.waitForEvent("RESUME", { timeoutMs: 5000 }); // listen before acting: events can precede replies
 * await qmp.execute("cont");
 * await resumed;
 * const [ssh] = await qmp.hostForwards(); // { protocol: "tcp", hostAddress: "127.0.0.1", hostPort: 40123, … }
 * qmp.close();
 * ```
 */
export class QmpClient {
  readonly socketPath: string;
  /** QEMU's version, from the greeting. */
  readonly version: QmpVersion;
  /** Capabilities QEMU offered in the greeting (none is enabled). */
  readonly capabilities: string[];
  /** Resolves (never rejects) once the connection has ended, however it ended. */
  readonly closed: Promise<JsonLineCloseInfo>;

  private nextId = 1;
  private readonly commandTimeoutMs: number;
  private readonly pending = new Map<number, PendingCommand>();
  private readonly eventWaiters = new Set<EventWaiter>();
  private readonly eventListeners = new Map<string, Set<Listener<QmpEvent>>>();
  private readonly closeListeners = new Set<Listener<JsonLineCloseInfo>>();
  private readonly protocolErrorListeners = new Set<Listener<QemuProtocolError>>();

  private constructor(
    private readonly socket: JsonLineSocket,
    greeting: { version: QmpVersion; capabilities: string[] },
    commandTimeoutMs: number,
  ) {
    this.socketPath = socket.socketPath;
    this.version = greeting.version;
    this.capabilities = greeting.capabilities;
    this.commandTimeoutMs = commandTimeoutMs;
    this.closed = socket.closed;
    socket.listen({
      message: (value) => this.receive(value),
      invalidLine: (line, error) =>
        this.protocolError(`sent a line that is not JSON: ${line.slice(0, 200)}`, { cause: error }),
      sentinel: () => undefined,
      close: (info) => this.disconnected(info),
    });
  }

  /**
   * Connects to QEMU's QMP socket, reads the greeting and sends `qmp_capabilities`.
   * Rejects with {@link QemuConnectError} when the socket is missing, refuses, or no greeting comes
   * in time; with {@link QemuProtocolError} when the peer does not speak QMP.
   */
  static async connect(socketPath: string, options: QmpConnectOptions = {}): Promise<QmpClient> {
    const { timeoutMs = 5000, commandTimeoutMs = 10_000 } = options;
    checkTimeout("timeoutMs", timeoutMs);
    checkTimeout("commandTimeoutMs", commandTimeoutMs);
    const started = performance.now();
    const remaining = () => Math.max(1, timeoutMs - (performance.now() - started));
    const socket = await JsonLineSocket.connect(socketPath, { channel: "qmp", timeoutMs });
    try {
      const greeting = await readGreeting(socket, remaining(), timeoutMs);
      const client = new QmpClient(socket, greeting, commandTimeoutMs);
      await client.execute("qmp_capabilities", undefined, { timeoutMs: remaining() });
      return client;
    } catch (error) {
      socket.close();
      throw error;
    }
  }

  /**
   * Runs `command` with `args`; resolves with its `return` value.
   * Rejects with {@link QmpCommandError} (QEMU's error class and description),
   * {@link QmpTimeoutError} (no reply in `timeoutMs`) or {@link QmpDisconnectedError}.
   *
   * @example
   * ```ts
   * const kvm = await qmp.execute<{ enabled: boolean }>("query-kvm");
   * ```
   */
  execute<T = unknown>(
    command: string,
    args?: Record<string, unknown>,
    { timeoutMs = this.commandTimeoutMs }: { timeoutMs?: number } = {},
  ): Promise<T> {
    checkTimeout("timeoutMs", timeoutMs);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new QmpTimeoutError({
            socketPath: this.socketPath,
            command,
            waitedFor: `reply to "${command}"`,
            waitedMs: timeoutMs,
            hint: "QEMU may be stuck; check the VM's log, or stop it",
          }),
        );
      }, timeoutMs);
      this.pending.set(id, { command, resolve: resolve as (value: unknown) => void, reject, timer });
      const ended = this.socket.closeInfo;
      if (ended) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(this.disconnectError(ended, [command]));
        return;
      }
      this.socket.send(
        args === undefined ? { execute: command, id } : { execute: command, arguments: args, id },
      );
    });
  }

  /**
   * Calls `listener` for every event named `event` (`"*"`: every event); returns an unsubscribe
   * function.
   */
  on(event: string, listener: Listener<QmpEvent>): () => void {
    let listeners = this.eventListeners.get(event);
    if (!listeners) {
      listeners = new Set();
      this.eventListeners.set(event, listeners);
    }
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  /** Calls `listener` once when the connection ends (at once if it already has). */
  onClose(listener: Listener<JsonLineCloseInfo>): () => void {
    if (this.socket.isClosed) {
      void this.closed.then(listener);
      return () => undefined;
    }
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /**
   * Calls `listener` for what QEMU sent that breaks the protocol (a line that is not JSON, an
   * unknown message, a reply nobody waits for). They are dropped otherwise: nothing throws.
   */
  onProtocolError(listener: Listener<QemuProtocolError>): () => void {
    this.protocolErrorListeners.add(listener);
    return () => this.protocolErrorListeners.delete(listener);
  }

  /**
   * Resolves with the next event named `name` for which `predicate` holds. Start waiting before
   * the command that causes it: QEMU may send the event before the command's reply.
   * Rejects with {@link QmpTimeoutError} or {@link QmpDisconnectedError}.
   *
   * @example
   * ```ts
   * const shutdown = qmp.waitForEvent("SHUTDOWN", { timeoutMs: 30_000, predicate: (e) => e.data.guest === true });
   * await qmp.systemPowerdown();
   * await shutdown;
   * ```
   */
  waitForEvent(
    name: string,
    { timeoutMs, predicate = () => true }: { timeoutMs: number; predicate?: (event: QmpEvent) => boolean },
  ): Promise<QmpEvent> {
    checkTimeout("timeoutMs", timeoutMs);
    return new Promise((resolve, reject) => {
      const waitedFor = `event "${name}"`;
      const finish = () => {
        clearTimeout(timer);
        off();
        this.eventWaiters.delete(waiter);
      };
      const waiter: EventWaiter = {
        event: waitedFor,
        reject: (error) => {
          finish();
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        finish();
        reject(
          new QmpTimeoutError({ socketPath: this.socketPath, event: name, waitedFor, waitedMs: timeoutMs }),
        );
      }, timeoutMs);
      const off = this.on(name, (event) => {
        if (!predicate(event)) return;
        finish();
        resolve(event);
      });
      if (this.socket.isClosed) {
        void this.closed.then((info) => waiter.reject(this.disconnectError(info, [waitedFor])));
      } else {
        this.eventWaiters.add(waiter);
      }
    });
  }

  /** QEMU's run state (`query-status`). */
  async queryStatus(options?: { timeoutMs?: number }): Promise<QmpStatus> {
    return this.parseReturn(
      "query-status",
      QmpStatus,
      await this.execute("query-status", undefined, options),
    );
  }

  /** Resumes the guest CPUs (`cont`); QEMU emits RESUME. */
  async cont(options?: { timeoutMs?: number }): Promise<void> {
    await this.execute("cont", undefined, options);
  }

  /** Pauses the guest CPUs (`stop`); QEMU emits STOP. */
  async stop(options?: { timeoutMs?: number }): Promise<void> {
    await this.execute("stop", undefined, options);
  }

  /** Presses the ACPI power button (`system_powerdown`): the guest decides whether to shut down. */
  async systemPowerdown(options?: { timeoutMs?: number }): Promise<void> {
    await this.execute("system_powerdown", undefined, options);
  }

  /**
   * Makes QEMU exit at once (`quit`). Resolves when QEMU replied or closed the connection (it may
   * close before its reply gets out); await `closed` to know the monitor is gone.
   */
  async quit(options?: { timeoutMs?: number }): Promise<void> {
    try {
      await this.execute("quit", undefined, options);
    } catch (error) {
      if (!(error instanceof QmpDisconnectedError)) throw error;
    }
  }

  /** Runs an HMP (human monitor) command line and returns its text output. */
  async humanMonitorCommand(commandLine: string, options?: { timeoutMs?: number }): Promise<string> {
    const output = await this.execute("human-monitor-command", { "command-line": commandLine }, options);
    return this.parseReturn("human-monitor-command", z.string(), output);
  }

  /**
   * The host forwards QEMU has bound (HMP `info usernet`), including the ports it chose itself
   * for `hostfwd=tcp:127.0.0.1:0-:G` rules.
   */
  async hostForwards(options?: { timeoutMs?: number }): Promise<BoundHostForward[]> {
    return parseUsernetForwards(await this.humanMonitorCommand("info usernet", options));
  }

  /** Closes the connection; pending commands reject with {@link QmpDisconnectedError}. Idempotent. */
  close(): void {
    this.socket.close();
  }

  private receive(value: unknown): void {
    const parsed = QmpMessage.safeParse(value);
    if (!parsed.success) {
      this.protocolError(`sent a message of unknown shape: ${JSON.stringify(value).slice(0, 200)}`);
      return;
    }
    const message = parsed.data;
    switch (message.kind) {
      case "event": {
        const event: QmpEvent = {
          event: message.event,
          data: message.data ?? {},
          timestamp: message.timestamp,
        };
        for (const key of [message.event, "*"]) {
          for (const listener of [...(this.eventListeners.get(key) ?? [])]) listener(event);
        }
        return;
      }
      case "greeting":
        this.protocolError("sent a second greeting");
        return;
      case "return":
      case "error": {
        const pending = typeof message.id === "number" ? this.pending.get(message.id) : undefined;
        if (!pending) {
          this.protocolError(
            message.id === undefined
              ? `sent a reply without an id (it could not parse a command?): ${JSON.stringify(value).slice(0, 200)}`
              : `sent a reply to id ${JSON.stringify(message.id)}, which no pending command has (it may have timed out)`,
          );
          return;
        }
        this.pending.delete(message.id as number);
        clearTimeout(pending.timer);
        if (message.kind === "return") {
          pending.resolve(message.return);
        } else {
          pending.reject(
            new QmpCommandError({
              channel: "qmp",
              socketPath: this.socketPath,
              command: pending.command,
              errorClass: message.error.class,
              desc: message.error.desc,
            }),
          );
        }
        return;
      }
    }
  }

  private disconnected(info: JsonLineCloseInfo): void {
    const names = [...this.pending.values()].map((p) => p.command);
    const waits = [...this.eventWaiters].map((w) => w.event);
    const error = this.disconnectError(info, [...names, ...waits]);
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.pending.clear();
    for (const waiter of [...this.eventWaiters]) waiter.reject(error);
    for (const listener of this.closeListeners) listener(info);
    this.closeListeners.clear();
  }

  private disconnectError(info: JsonLineCloseInfo, pending: string[]): QmpDisconnectedError {
    return new QmpDisconnectedError(
      { channel: "qmp", socketPath: this.socketPath, pending, detail: info.detail },
      { cause: info.error },
    );
  }

  private parseReturn<T>(command: string, schema: z.ZodMiniType<T>, value: unknown): T {
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    throw new QemuProtocolError(
      `QMP at ${this.socketPath}: unexpected reply to "${command}": ${z.prettifyError(parsed.error)}`,
      { channel: "qmp", socketPath: this.socketPath },
    );
  }

  private protocolError(what: string, options?: ErrorOptions): void {
    const error = new QemuProtocolError(
      `QMP at ${this.socketPath} ${what}`,
      { channel: "qmp", socketPath: this.socketPath },
      options,
    );
    for (const listener of this.protocolErrorListeners) listener(error);
  }
}

/** Waits for the first message, which must be the greeting; leaves later messages queued. */
function readGreeting(
  socket: JsonLineSocket,
  waitMs: number,
  timeoutMs: number,
): Promise<{ version: QmpVersion; capabilities: string[] }> {
  const { socketPath } = socket;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.listen(undefined);
      reject(
        new QemuConnectError(
          `QMP at ${socketPath}: connected, but no greeting within ${timeoutMs} ms; ` +
            "QEMU serves one QMP client at a time: is another client (another nohead command) connected?",
          { channel: "qmp", socketPath, reason: "timed-out", waitedMs: timeoutMs },
        ),
      );
    }, waitMs);
    const settle = (outcome: () => void) => {
      clearTimeout(timer);
      socket.listen(undefined); // later messages wait in the queue for the client
      outcome();
    };
    const notQmp = (what: string) =>
      new QemuProtocolError(
        `${socketPath} did not greet like QMP (is it a QMP socket?): ${what.slice(0, 200)}`,
        {
          channel: "qmp",
          socketPath,
        },
      );
    socket.listen({
      message: (value) =>
        settle(() => {
          const parsed = QmpMessage.safeParse(value);
          if (parsed.success && parsed.data.kind === "greeting") resolve(parsed.data.QMP);
          else reject(notQmp(JSON.stringify(value)));
        }),
      invalidLine: (line) => settle(() => reject(notQmp(line))),
      sentinel: () => undefined,
      close: (info) =>
        settle(() =>
          reject(
            new QemuConnectError(
              `QMP at ${socketPath}: the connection ended before the greeting: ${info.detail}`,
              { channel: "qmp", socketPath, reason: "closed", waitedMs: 0 },
              { cause: info.error },
            ),
          ),
        ),
    });
  });
}
