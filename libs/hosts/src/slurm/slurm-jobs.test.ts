import { describe, expect, test } from "bun:test";
import { jobAlive, jobEnd, parseJobs } from "./slurm-jobs.ts";

/** `scontrol -o show job` as Slurm 22.05 prints it (shortened). */
const OUTPUT = [
  "JobId=7 JobName=nohead-cluster UserId=root(0) JobState=RUNNING Reason=None Dependency=(null) NodeList=vm BatchHost=vm NumCPUs=2",
  "JobId=8 JobName=nohead-cluster UserId=root(0) JobState=PENDING Reason=Resources Dependency=(null) NodeList=(null) NumCPUs=4",
  "JobId=9 JobName=nohead-cluster UserId=root(0) JobState=TIMEOUT Reason=TimeLimit Dependency=(null) NodeList=n2 BatchHost=n2",
  "",
].join("\n");

describe("Slurm's jobs", () => {
  test("each line's id, state, reason and node", () => {
    expect(parseJobs(OUTPUT)).toEqual([
      { jobId: "7", state: "RUNNING", reason: "None", node: "vm" },
      { jobId: "8", state: "PENDING", reason: "Resources", node: null },
      { jobId: "9", state: "TIMEOUT", reason: "TimeLimit", node: "n2" },
    ]);
    expect(parseJobs("No jobs in the system\n")).toEqual([]);
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
