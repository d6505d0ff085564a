/** Errors of the QMP and guest-agent clients: each says which command, which socket, how long. */

/** Base class: something went wrong talking to QEMU or the guest agent. */
export class QemuProtocolError extends Error {
  override name = "QemuProtocolError";
}

/** QEMU answered a command with an error object. */
export class QmpCommandError extends QemuProtocolError {
  override name = "QmpCommandError";
  constructor(
    readonly command: string,
    readonly errorClass: string,
    readonly desc: string,
  ) {
    super(`QMP ${command} failed: ${errorClass}: ${desc}`);
  }
}

/** No answer within the deadline. */
export class QemuTimeoutError extends QemuProtocolError {
  override name = "QemuTimeoutError";
  constructor(
    readonly what: string,
    readonly waitedMs: number,
  ) {
    super(`${what}: no answer within ${Math.round(waitedMs)} ms`);
  }
}

/** The socket closed (QEMU exited, or the guest agent went away) while commands were pending. */
export class QemuDisconnectedError extends QemuProtocolError {
  override name = "QemuDisconnectedError";
  constructor(
    readonly socketPath: string,
    readonly pending: string[],
  ) {
    super(`${socketPath} closed${pending.length > 0 ? ` while waiting for ${pending.join(", ")}` : ""}`);
  }
}
