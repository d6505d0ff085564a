import { describe, expect, test } from "bun:test";
import { jobAlive, jobEnd, parseJobs } from "./slurm-jobs.ts";

/** `squeue --me --states=all --noheader --format=%i|%T|%B|%r`. */
const OUTPUT = [
  "7|RUNNING|vm|None",
  "8|PENDING|n/a|Resources",
  "9|TIMEOUT|n2|TimeLimit",
  "10|PENDING|n/a|ReqNodeNotAvail, UnavailableNodes:n3",
  "",
].join("\n");

describe("Slurm's jobs", () => {
  test("each line's id, state, reason and node", () => {
    expect(parseJobs(OUTPUT)).toEqual([
      { jobId: "7", state: "RUNNING", reason: "None", node: "vm" },
      { jobId: "8", state: "PENDING", reason: "Resources", node: null },
      { jobId: "9", state: "TIMEOUT", reason: "TimeLimit", node: "n2" },
      { jobId: "10", state: "PENDING", reason: "ReqNodeNotAvail, UnavailableNodes:n3", node: null },
    ]);
    expect(parseJobs("")).toEqual([]);
  });

  test("alive while pending or running; an end says the state and Slurm's reason", () => {
    const [running, pending, timedOut] = parseJobs(OUTPUT);
    expect([running, pending, timedOut].map((j) => j && jobAlive(j))).toEqual([true, true, false]);
    expect(jobEnd(timedOut as never)).toBe("Slurm job 9 ended: TIMEOUT (reason: TimeLimit)");
    expect(jobEnd({ jobId: "3", state: "CANCELLED", reason: "None", node: "vm" })).toBe(
      "Slurm job 3 ended: CANCELLED",
    );
  });
});
