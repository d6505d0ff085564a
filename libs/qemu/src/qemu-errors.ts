/**
 * Errors of the two QEMU control channels: the QMP monitor and the guest agent.
 *
 * Both channels speak the same QMP-family protocol, so the classes are shared and carry a
 * `channel` field; every class has the fields a caller needs to decide what to do (which command,
 * how long it waited, which commands were cut off) and keeps the underlying error as `cause`.
 */

/** Which control channel an error happened on. */
export type QemuChannel = "qmp" | "guest-agent";

const channelLabel: Record<QemuChannel, string> = { qmp: "QMP", "guest-agent": "guest agent" };

/** Human name of a channel for messages ("QMP", "guest agent"). */
export function describeChannel(channel: QemuChannel): string {
  return channelLabel[channel];
}

/**
 * Base class: something went wrong talking to QEMU or its guest agent. Thrown as is for protocol
 * violations (a line that is not JSON, a message of unknown shape, a missing greeting).
 *
 * @example
 * ```ts
 * try { await qmp.queryStatus(); } catch (error) {
 *   if (error instanceof QemuProtocolError) console.error(`${error.socketPath}: ${error.message}`);
 * }
 * ```
 */
export class QemuProtocolError extends Error {
  override name = "QemuProtocolError";
  readonly channel: QemuChannel;
  readonly socketPath: string;

  constructor(message: string, fields: { channel: QemuChannel; socketPath: string }, options?: ErrorOptions) {
    super(message, options);
    this.channel = fields.channel;
    this.socketPath = fields.socketPath;
  }
}

/** Why a connection attempt failed; `untrusted`: the path holds something that is not this user's socket. */
export type QemuConnectFailure = "no-socket" | "untrusted" | "refused" | "timed-out" | "closed" | "error";

/**
 * Connecting (or the handshake right after: QMP greeting, guest-agent sync) failed.
 *
 * @example
 * ```ts
 * catch (error) { if (error instanceof QemuConnectError && error.reason === "no-socket") startVm(); }
 * ```
 */
export class QemuConnectError extends QemuProtocolError {
  override name = "QemuConnectError";
  readonly reason: QemuConnectFailure;
  readonly waitedMs: number;

  constructor(
    message: string,
    fields: { channel: QemuChannel; socketPath: string; reason: QemuConnectFailure; waitedMs: number },
    options?: ErrorOptions,
  ) {
    super(message, fields, options);
    this.reason = fields.reason;
    this.waitedMs = fields.waitedMs;
  }
}

/**
 * The server answered a command with `{"error": {"class": …, "desc": …}}`.
 *
 * @example
 * ```ts
 * catch (error) { if (error instanceof QmpCommandError && error.errorClass === "CommandNotFound") … }
 * ```
 */
export class QmpCommandError extends QemuProtocolError {
  override name = "QmpCommandError";
  readonly command: string;
  /** QEMU's error class, e.g. `GenericError`, `CommandNotFound`, `DeviceNotFound`. */
  readonly errorClass: string;
  /** QEMU's human-readable description. */
  readonly desc: string;

  constructor(fields: {
    channel: QemuChannel;
    socketPath: string;
    command: string;
    errorClass: string;
    desc: string;
  }) {
    super(
      `${describeChannel(fields.channel)} command "${fields.command}" failed: ${fields.errorClass}: ${fields.desc}`,
      fields,
    );
    this.command = fields.command;
    this.errorClass = fields.errorClass;
    this.desc = fields.desc;
  }
}

/**
 * A QMP command got no reply, or an awaited QMP event did not come, within its deadline.
 * `command` is set for command replies, `event` for event waits; `waitedFor` says which in words.
 *
 * @example
 * ```ts
 * catch (error) { if (error instanceof QmpTimeoutError) log(`gave up on ${error.waitedFor} after ${error.waitedMs} ms`); }
 * ```
 */
export class QmpTimeoutError extends QemuProtocolError {
  override name = "QmpTimeoutError";
  readonly command: string | undefined;
  readonly event: string | undefined;
  readonly waitedFor: string;
  readonly waitedMs: number;

  constructor(fields: {
    socketPath: string;
    command?: string;
    event?: string;
    waitedFor: string;
    waitedMs: number;
    hint?: string;
  }) {
    super(
      `QMP at ${fields.socketPath}: no ${fields.waitedFor} within ${fields.waitedMs} ms` +
        (fields.hint ? `; ${fields.hint}` : ""),
      { channel: "qmp", socketPath: fields.socketPath },
    );
    this.command = fields.command;
    this.event = fields.event;
    this.waitedFor = fields.waitedFor;
    this.waitedMs = fields.waitedMs;
  }
}

/**
 * The connection ended (QEMU exited, the socket was closed, or the client was closed) while
 * commands were waiting for replies; `pending` names them.
 *
 * @example
 * ```ts
 * catch (error) { if (error instanceof QmpDisconnectedError) console.error(error.pending); }
 * ```
 */
export class QmpDisconnectedError extends QemuProtocolError {
  override name = "QmpDisconnectedError";
  readonly pending: string[];

  constructor(
    fields: { channel: QemuChannel; socketPath: string; pending: string[]; detail: string },
    options?: ErrorOptions,
  ) {
    const what = fields.pending.length > 0 ? ` while waiting for ${fields.pending.join(", ")}` : "";
    super(
      `${describeChannel(fields.channel)} connection ${fields.socketPath} closed${what}: ${fields.detail}`,
      fields,
      options,
    );
    this.pending = fields.pending;
  }
}

/**
 * The guest agent did not answer within the deadline. Usual reasons: the guest has not booted
 * yet, or no qemu-guest-agent runs in it (QEMU accepts the connection either way).
 *
 * @example
 * ```ts
 * catch (error) { if (error instanceof GuestAgentTimeoutError) retryLater(error.command); }
 * ```
 */
export class GuestAgentTimeoutError extends QemuProtocolError {
  override name = "GuestAgentTimeoutError";
  readonly command: string;
  readonly waitedMs: number;

  constructor(fields: { socketPath: string; command: string; waitedMs: number }) {
    super(
      `guest agent at ${fields.socketPath} did not answer "${fields.command}" within ${fields.waitedMs} ms; ` +
        "has the guest booted, and does it run qemu-guest-agent (services.qemuGuest.enable)?",
      { channel: "guest-agent", socketPath: fields.socketPath },
    );
    this.command = fields.command;
    this.waitedMs = fields.waitedMs;
  }
}

/** Why a guest program run failed. */
export type GuestExecFailure = "start-failed" | "timed-out";

/**
 * A program run through the guest agent could not be started, or did not exit in time (it keeps
 * running in the guest: the agent cannot kill it; `pid` is the guest pid).
 *
 * @example
 * ```ts
 * catch (error) { if (error instanceof GuestExecError && error.reason === "timed-out") … }
 * ```
 */
export class GuestExecError extends QemuProtocolError {
  override name = "GuestExecError";
  readonly path: string;
  readonly args: string[];
  readonly reason: GuestExecFailure;
  readonly pid: number | undefined;
  readonly waitedMs: number;

  constructor(
    fields: {
      socketPath: string;
      path: string;
      args: string[];
      reason: GuestExecFailure;
      pid?: number;
      waitedMs: number;
    },
    options?: ErrorOptions,
  ) {
    const program = [fields.path, ...fields.args].join(" ");
    const message =
      fields.reason === "start-failed"
        ? `guest agent could not start \`${program}\` in the guest` +
          (options?.cause instanceof Error ? `: ${options.cause.message}` : "")
        : `\`${program}\` (guest pid ${fields.pid}) did not exit within ${fields.waitedMs} ms; ` +
          "it is still running in the guest; raise timeoutMs or make the program finish";
    super(message, { channel: "guest-agent", socketPath: fields.socketPath }, options);
    this.path = fields.path;
    this.args = fields.args;
    this.reason = fields.reason;
    this.pid = fields.pid;
    this.waitedMs = fields.waitedMs;
  }
}
