import { describe, expect, test } from "bun:test";
import { nextHealth } from "./health-tracker.ts";
import { RESTART_MAX_DELAY_MS, restartDelayMs, restartsAfter } from "./restart-policy.ts";

describe("restart policy", () => {
  test("no never restarts; on-failure restarts failures only; always restarts every exit", () => {
    const decisions = (["no", "on-failure", "always"] as const).map((policy) => [
      restartsAfter(policy, { clean: false }),
      restartsAfter(policy, { clean: true }),
    ]);
    expect(decisions).toEqual([
      [false, false],
      [true, false],
      [true, true],
    ]);
  });

  test("backoff doubles from 1 s and stays at the 60 s cap", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 50].map(restartDelayMs)).toEqual([
      1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000,
    ]);
    expect(restartDelayMs(1000)).toBe(RESTART_MAX_DELAY_MS);
  });
});

describe("health between runs", () => {
  test("one passing run makes it healthy and clears the failures", () => {
    expect(nextHealth({ status: "unhealthy", failures: 5 }, true, 3)).toEqual({
      status: "healthy",
      failures: 0,
    });
    expect(nextHealth({ status: "starting", failures: 0 }, true, 3)).toEqual({
      status: "healthy",
      failures: 0,
    });
  });

  test("it turns unhealthy only after `retries` failing runs in a row", () => {
    let track = { status: "healthy" as const, failures: 0 } as ReturnType<typeof nextHealth>;
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      track = nextHealth(track, false, 3);
      seen.push(`${track.status}/${track.failures}`);
    }
    expect(seen).toEqual(["healthy/1", "healthy/2", "unhealthy/3", "unhealthy/4"]);
    expect(nextHealth({ status: "healthy", failures: 0 }, false, 1)).toEqual({
      status: "unhealthy",
      failures: 1,
    });
  });
});
