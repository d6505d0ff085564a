/**
 * The few error classes users see. Each carries what failed, for which machine, and what to do;
 * the CLI maps `kind` to an exit code in one place (apps/cli/src/main.ts) and the agent maps it
 * to an HTTP status in one `app.onError`. Anything else thrown is a bug and shown as one.
 */

export type ErrorKind = "usage" | "config" | "not-found" | "conflict" | "failed";

/** Exit codes of the CLI, documented in docs/cli.md. */
export const EXIT_CODES: Record<ErrorKind, number> = {
  failed: 1,
  usage: 2,
  config: 3,
  "not-found": 4,
  conflict: 5,
};

/** HTTP statuses of the agent, documented in docs/agent.md. */
export const HTTP_STATUS: Record<ErrorKind, 400 | 404 | 409 | 422 | 500> = {
  usage: 400,
  config: 422,
  "not-found": 404,
  conflict: 409,
  failed: 500,
};

/** An error meant for the user: a message that says what failed, and a hint that says what to do. */
export class NoheadError extends Error {
  override name = "NoheadError";
  readonly kind: ErrorKind;
  readonly hint: string | undefined;
  readonly machine: string | undefined;
  constructor(
    kind: ErrorKind,
    message: string,
    options: { hint?: string | undefined; machine?: string | undefined; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.kind = kind;
    this.hint = options.hint;
    this.machine = options.machine;
  }

  /** The message and, in parentheses, the hint: for one-line fields such as a start's `failure`. */
  get messageWithHint(): string {
    return this.hint ? `${this.message} (${this.hint})` : this.message;
  }
}

/** Shorthands that read well at the throw site. */
export const usageError = (message: string, hint?: string) => new NoheadError("usage", message, { hint });
export const configError = (message: string, hint?: string, cause?: unknown) =>
  new NoheadError("config", message, { hint, cause });
export const notFoundError = (message: string, hint?: string) =>
  new NoheadError("not-found", message, { hint });
