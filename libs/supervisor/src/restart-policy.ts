/**
 * The restart policy's decisions, kept pure so they are tested without QEMU: whether an exit
 * restarts the VM, and how long to wait first (exponential backoff).
 */
import type { RestartPolicy } from "@nohead/schema";

/** The first restart of a streak waits this long; each next one twice as long, up to the cap. */
export const RESTART_FIRST_DELAY_MS = 1000;
export const RESTART_MAX_DELAY_MS = 60_000;
/** A VM that stayed ready this long ends its streak: its next crash waits the first delay again. */
export const RESTART_STREAK_RESET_MS = 60_000;

/**
 * Whether QEMU's exit restarts the VM: `always` restarts every exit, `on-failure` every exit
 * but a clean one (the guest powered off, QEMU was told to quit), `no` none. An exit during a
 * stop by a command never reaches here.
 *
 * @example
 * restartsAfter("on-failure", { clean: false }) // true: killed or crashed
 */
export function restartsAfter(policy: RestartPolicy, exit: { clean: boolean }): boolean {
  return policy === "always" || (policy === "on-failure" && !exit.clean);
}

/**
 * The wait before restart `attempt` (1-based) of a streak: 1, 2, 4, 8, 16, 32, 60, 60… s.
 *
 * @example
 * restartDelayMs(3) // 4000
 */
export function restartDelayMs(attempt: number): number {
  return Math.min(RESTART_MAX_DELAY_MS, RESTART_FIRST_DELAY_MS * 2 ** Math.max(0, attempt - 1));
}
