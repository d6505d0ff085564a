/**
 * What Slurm says about this user's jobs: one `squeue --me --states=all` (the controller sends
 * only this user's jobs, ended ones included), which works without an accounting database. The
 * controller keeps an ended job for MinJobAge (5 minutes by default); after that the job is simply
 * unknown. A Slurm host shares one such answer among everything waiting at the same moment
 * (slurm-host.ts), as the controller serves the whole cluster.
 */
import { runSlurmCommand, type SlurmCommandOptions } from "./slurm-command.ts";

export interface SlurmJob {
  jobId: string;
  /** PENDING, RUNNING, COMPLETED, CANCELLED, TIMEOUT, NODE_FAIL, … */
  state: string;
  /** Slurm's reason (None when it gives none). */
  reason: string;
  /** The node running its batch script (null while pending). */
  node: string | null;
}

/** States in which a job still holds (or will hold) its allocation. */
const ALIVE = new Set(["PENDING", "CONFIGURING", "RUNNING", "SUSPENDED", "REQUEUED", "RESIZING"]);

/** squeue's fields, `|` apart: id, state, batch host, and the reason last (it may hold spaces). */
export const SQUEUE_FORMAT = "%i|%T|%B|%r";

/** Whether `job` is pending or running (not ended). */
export function jobAlive(job: SlurmJob): boolean {
  return ALIVE.has(job.state);
}

/** Why a job ended, in words: `CANCELLED`, or `TIMEOUT (reason: TimeLimit)`. */
export function jobEnd(job: SlurmJob): string {
  return `Slurm job ${job.jobId} ended: ${job.state}${job.reason && job.reason !== "None" ? ` (reason: ${job.reason})` : ""}`;
}

/**
 * The jobs in `squeue --noheader --format=%i|%T|%B|%r` output.
 *
 * @example
 * parseJobs("12|RUNNING|n1|None\n13|PENDING|n/a|Resources\n")
 * // => [{ jobId: "12", state: "RUNNING", reason: "None", node: "n1" }, { jobId: "13", …, node: null }]
 */
export function parseJobs(text: string): SlurmJob[] {
  const jobs: SlurmJob[] = [];
  for (const line of text.split("\n")) {
    const [jobId, state, node, ...reason] = line.split("|").map((f) => f.trim());
    if (!jobId || !/^\d+(_\d+)?$/.test(jobId)) continue;
    jobs.push({
      jobId,
      state: state || "UNKNOWN",
      reason: reason.join("|") || "None",
      node: node && node !== "n/a" && node !== "(null)" ? node : null,
    });
  }
  return jobs;
}

/** This user's jobs the controller knows (pending, running, and recently ended), by id. */
export async function listOwnJobs(
  host: string,
  options: SlurmCommandOptions = {},
): Promise<Map<string, SlurmJob>> {
  const text = await runSlurmCommand(
    host,
    // --all: hidden partitions too (a pilot job may run in one).
    ["squeue", "--me", "--all", "--states=all", "--noheader", `--format=${SQUEUE_FORMAT}`],
    options,
  );
  return new Map(parseJobs(text).map((j) => [j.jobId, j]));
}
