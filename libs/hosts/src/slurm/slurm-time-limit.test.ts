import { expect, test } from "bun:test";
import { endWarning, timeLimitSeconds } from "./slurm-time-limit.ts";

test("every form of a Slurm time, in seconds", () => {
  expect(["30", "30:15", "8:00:00", "1-12", "1-12:30", "1-12:30:05", "0"].map(timeLimitSeconds)).toEqual([
    1800, 1815, 28_800, 129_600, 131_400, 131_405, 0,
  ]);
});

test("a pilot job is warned 120 s before its end, unless it has no limit or a short one", () => {
  expect(["8:00:00", "10", "9:59", "0"].map(endWarning)).toEqual([
    ["--signal=B:USR1@120"],
    ["--signal=B:USR1@120"],
    [],
    [],
  ]);
});
