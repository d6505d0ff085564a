/**
 * The one error a test sees when a machine action fails: which machine, what it did or waited
 * for, for how long, and the last thing it saw (a command's output, a unit's state, the ports
 * that were open). A failed test report shows all of it without a rerun.
 */
import { NoheadError } from "@nohead/schema";

/** Why a machine action failed. */
export type MachineFailure =
  /** A deadline passed (`waitFor…`, `waitUntil…`, a command that ran too long). */
  | "timed-out"
  /** The action ran and its result is the failure (`succeed` got a non-zero exit code). */
  | "assertion"
  /** The machine is not running (stopped, crashed): nothing will change by waiting. */
  | "not-running"
  /** A channel to the machine did not answer or cannot do it (no guest agent yet, no private NIC). */
  | "unavailable";

export interface MachineErrorFields {
  machine: string;
  /** What the action did or waited for, e.g. `unit "nginx.service" to be active`. */
  action: string;
  failure: MachineFailure;
  /** Time spent, in milliseconds. */
  waitedMs: number;
  /** The last thing seen (output, state), or null when nothing was seen. */
  lastSeen: string | null;
}

/**
 * Thrown by every {@link Machine} method that fails.
 *
 * @example
 * try { await server.waitForOpenPort(80, { timeoutMs: 5000 }); } catch (e) {
 *   if (e instanceof MachineError) console.log(e.failure, e.action, e.lastSeen); // "timed-out" "TCP port 80 to be open" "listening: 22"
 * }
 */
export class MachineError extends NoheadError {
  override name = "MachineError";
  readonly action: string;
  readonly failure: MachineFailure;
  readonly waitedMs: number;
  readonly lastSeen: string | null;

  constructor(fields: MachineErrorFields, options: { hint?: string; cause?: unknown; detail?: string } = {}) {
    const seconds = (fields.waitedMs / 1000).toFixed(1);
    const head =
      fields.failure === "timed-out"
        ? `${fields.machine}: timed out after ${seconds} s waiting for ${fields.action}`
        : `${fields.machine}: ${fields.action} failed after ${seconds} s${options.detail ? `: ${options.detail}` : ""}`;
    const seen = fields.lastSeen === null ? "" : `\nlast seen: ${indent(fields.lastSeen)}`;
    super("failed", head + seen, { machine: fields.machine, hint: options.hint, cause: options.cause });
    this.action = fields.action;
    this.failure = fields.failure;
    this.waitedMs = fields.waitedMs;
    this.lastSeen = fields.lastSeen;
  }
}

/** Long or multi-line output starts on its own line, indented, and is cut to its last 2000 characters. */
function indent(text: string): string {
  const cut = text.length > 2000 ? `…${text.slice(-2000)}` : text;
  return cut.includes("\n") ? `\n  ${cut.trimEnd().replaceAll("\n", "\n  ")}` : cut;
}
