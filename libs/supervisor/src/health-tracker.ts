/**
 * A watched VM's health between runs of its checks, kept pure so it is tested without QEMU:
 * one passing run makes it healthy; `retries` failing runs in a row make it unhealthy (fewer
 * leave it as it was, like Compose's healthcheck).
 */
import type { HealthStatus } from "@nohead/schema";

export interface HealthTrack {
  status: HealthStatus;
  /** Failing runs in a row. */
  failures: number;
}

/**
 * The track after a run whose checks all passed (`ok`) or not.
 *
 * @example
 * nextHealth({ status: "healthy", failures: 2 }, false, 3) // { status: "unhealthy", failures: 3 }
 */
export function nextHealth(track: HealthTrack, ok: boolean, retries: number): HealthTrack {
  if (ok) return { status: "healthy", failures: 0 };
  const failures = track.failures + 1;
  return { status: failures >= retries ? "unhealthy" : track.status, failures };
}
