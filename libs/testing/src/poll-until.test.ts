import { expect, test } from "bun:test";
import { rejectionOf } from "@nohead/schema/testing";
import { MachineError } from "./machine-error.ts";
import { pollUntil } from "./poll-until.ts";

const spec = { machine: "web", action: "the thing to happen" };

test("resolves with the value of the first look that is done", async () => {
  let looks = 0;
  const value = await pollUntil({
    ...spec,
    timeoutMs: 5000,
    check: async () => ({ done: ++looks === 3, value: `look ${looks}`, seen: null }),
  });
  expect(value).toBe("look 3");
  expect(looks).toBe(3);
});

test("times out naming what it waited for and the last thing seen", async () => {
  let looks = 0;
  const started = performance.now();
  const error = await rejectionOf(
    pollUntil({ ...spec, timeoutMs: 300, check: async () => ({ done: false, seen: `look ${++looks}` }) }),
  );
  expect(error).toBeInstanceOf(MachineError);
  const { failure, action, lastSeen, waitedMs, message } = error as MachineError;
  expect([failure, action, lastSeen]).toEqual(["timed-out", "the thing to happen", `look ${looks}`]);
  expect(waitedMs).toBeGreaterThanOrEqual(300);
  expect(performance.now() - started).toBeLessThan(2000);
  expect(message).toMatch(
    /^web: timed out after 0\.\d s waiting for the thing to happen\nlast seen: look \d+$/,
  );
});

test("a channel that does not answer (unavailable, or any other error) is seen and the wait goes on", async () => {
  let looks = 0;
  const value = await pollUntil({
    ...spec,
    timeoutMs: 5000,
    check: async () => {
      looks++;
      if (looks === 1) throw new Error("connection refused");
      if (looks === 2) {
        throw new MachineError({
          machine: "web",
          action: "x",
          failure: "unavailable",
          waitedMs: 0,
          lastSeen: null,
        });
      }
      return { done: true, value: "up", seen: null };
    },
  });
  expect(value).toBe("up");
});

test("an assertion or a machine that is not running ends the wait at once", async () => {
  for (const failure of ["assertion", "not-running"] as const) {
    let looks = 0;
    const thrown = new MachineError({
      machine: "web",
      action: "x",
      failure,
      waitedMs: 0,
      lastSeen: "failed",
    });
    const error = await rejectionOf(
      pollUntil({
        ...spec,
        timeoutMs: 60_000,
        check: async () => {
          looks++;
          throw thrown;
        },
      }),
    );
    expect(error).toBe(thrown);
    expect(looks).toBe(1);
  }
});

test("every look, the last one at the deadline too, gets at least a second", async () => {
  const given: number[] = [];
  await rejectionOf(
    pollUntil({
      ...spec,
      timeoutMs: 50,
      check: async (remainingMs) => {
        given.push(remainingMs);
        return { done: false, seen: null };
      },
    }),
  );
  expect(given.length).toBeGreaterThanOrEqual(2);
  for (const ms of given) expect(ms).toBeGreaterThanOrEqual(1000);
});
