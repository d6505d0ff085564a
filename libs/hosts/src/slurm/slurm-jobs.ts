/**
 * What Slurm says about jobs: `scontrol -o show job` (one line of Key=Value per job), which
 * works without an accounting database. The controller keeps an ended job for MinJobAge (5
 * minutes by default); after that the job is simply unknown.
 */
import { runSlurmCommand, type SlurmCommandOptions } from "./slurm-command.ts";

export interface SlurmJob {
  jobId: string;
  /** PENDING, RUNNING, COMPLETED, CANCELLED, TIMEOUT, NODE_FAIL, … */
  state: string;
  /** Slurm's reason (None when it gives none). */
  reason: string;
  /** The node it runs on (null while pending). */
  node: string | null;
}

/** States in which a job still holds (or will hold) its allocation. */
const ALIVE = new Set(["PENDING", "CONFIGURING", "RUNNING", "SUSPENDED", "REQUEUED", "RESIZING"]);

/** Whether `job` is pending or running (not ended). */
export function jobAlive(job: SlurmJob): boolean {
  return ALIVE.has(job.state);
}

/** Why a job ended, in words: `CANCELLED`, or `TIMEOUT (reason: TimeLimit)`. */
export function jobEnd(job: SlurmJob): string {
  return `Slurm job ${job.jobId} ended: ${job.state}${job.reason && job.reason !== "None" ? ` (reason: ${job.reason})` : ""}`;
}

/**
 * The jobs in `scontrol -o show job` output.
 *
 * @example
 * parseJobs("JobId=12 JobName=x JobState=RUNNING Reason=None NodeList=n1 …")
 * // => [{ jobId: "12", state: "RUNNING", reason: "None", node: "n1" }]
 */
export function parseJobs(text: string): SlurmJob[] {
  const jobs: SlurmJob[] = [];
  for (const line of text.split("\n")) {
    const field = (key: string) => new RegExp(`(?:^|\\s)${key}=(\\S*)`).exec(line)?.[1];
    const jobId = field("JobId");
    if (!jobId) continue;
    const node = field("BatchHost") ?? field("NodeList");
    jobs.push({
      jobId,
      state: field("JobState") ?? "UNKNOWN",
      reason: field("Reason") ?? "None",
      node: node && node !== "(null)" ? node : null,
    });
  }
  return jobs;
}

/** Every job the controller knows (those of other users too), by id. */
export async function listJobs(
  host: string,
  options: SlurmCommandOptions = {},
): Promise<Map<string, SlurmJob>> {
  const text = await runSlurmCommand(host, ["scontrol", "-o", "show", "job"], options);
  return new Map(parseJobs(text).map((j) => [j.jobId, j]));
}
