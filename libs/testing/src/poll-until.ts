/**
 * Repeats a check until it holds or a deadline passes, like the test driver's `retry`, but
 * quicker off the mark: it polls after 100 ms, then backs off to once a second. The last thing
 * the check saw goes into the timeout error.
 */
import { MachineError } from "./machine-error.ts";

/** One look: whether the wait is over, its value, and what was seen (for the error). */
export interface PollResult<T> {
  done: boolean;
  value?: T;
  seen: string | null;
}

export interface PollSpec<T> {
  machine: string;
  /** What is waited for, for the error: `unit "x" to be active`. */
  action: string;
  timeoutMs: number;
  /**
   * Looks once; gets the time left. A {@link MachineError} it throws ends the wait at once, unless
   * it only says a channel did not answer (`unavailable`): that is seen, and the wait goes on.
   */
  check: (remainingMs: number) => Promise<PollResult<T>>;
}

const FIRST_DELAY_MS = 100;
/** Least time one look gets, even the last one at the deadline (a guest agent connects in ms, not µs). */
const LOOK_MS = 1000;
const MAX_DELAY_MS = 1000;

/**
 * Resolves with the value of the first check that is done. Other errors a check throws (the guest
 * agent not answering yet) count as what was seen, and the wait goes on.
 *
 * @example
 * await pollUntil({ machine: "web", action: "file /tmp/x to exist", timeoutMs: 10_000,
 *   check: async () => ({ done: existsInGuest(), seen: null }) });
 */
export async function pollUntil<T>({
  machine,
  action,
  timeoutMs,
  check,
}: PollSpec<T>): Promise<T | undefined> {
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  let seen: string | null = null;
  for (let delay = FIRST_DELAY_MS; ; delay = Math.min(delay * 2, MAX_DELAY_MS)) {
    try {
      const result = await check(Math.max(LOOK_MS, timeoutMs - elapsed()));
      if (result.done) return result.value;
      seen = result.seen;
    } catch (error) {
      if (error instanceof MachineError && error.failure !== "unavailable") throw error;
      seen = error instanceof Error ? error.message : String(error);
    }
    const left = timeoutMs - elapsed();
    if (left <= 0) {
      throw new MachineError({ machine, action, failure: "timed-out", waitedMs: elapsed(), lastSeen: seen });
    }
    await Bun.sleep(Math.min(delay, left));
  }
}
