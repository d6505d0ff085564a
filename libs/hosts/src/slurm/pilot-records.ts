/**
 * What nohead remembers of a Slurm host's pilot jobs, under the project's state dir:
 * `.nohead/slurm/<host>/jobs.json` (job id, node, machines, its directory) and a directory per job
 * (mode 0700) holding its agent's token, the address its agent reports (`agent.json`), its state
 * dir and Slurm's output. The agents on the nodes read and write there: on a real cluster the
 * project lives on the shared filesystem (docs/slurm.md).
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { configError, MachineName } from "@nohead/schema";
import { writeJsonAtomic } from "@nohead/schema/write-json-atomic";
import { z } from "zod";

/** A job directory's name: 8 random hex digits, chosen by the CLI at submission. */
const JOB_DIR_NAME = /^[0-9a-f]{8}$/;

export const PilotRecord = z.strictObject({
  jobId: z.string().regex(/^\d+(_\d+)?$/),
  /** The job's directory (token, agent.json, state, output): a child of the host's pilot dir. */
  dir: z.string().startsWith("/"),
  /** The node its agent runs on, once it reported. */
  node: z.string().nullable(),
  /** Its agent's URL, once it reported. */
  url: z.string().nullable(),
  machines: z.array(MachineName),
  submittedAt: z.string(),
});
export type PilotRecord = z.infer<typeof PilotRecord>;

const PilotRecords = z.strictObject({ jobs: z.array(PilotRecord) });

/** What a pilot agent writes once it listens (`nohead agent serve --ready-file`). */
export const AgentReady = z.strictObject({
  url: z.url({ protocol: /^https?$/ }),
  /** Slurm's name of the node (SLURMD_NODENAME), else the host name. */
  node: z.string().min(1),
  pid: z.number().int().positive(),
});
export type AgentReady = z.infer<typeof AgentReady>;

/** Whether `jobDir` is one of `dir`'s job directories: a direct child named as nohead names them. */
function isOwnJobDir(dir: string, jobDir: string): boolean {
  return dirname(resolve(jobDir)) === resolve(dir) && JOB_DIR_NAME.test(basename(jobDir));
}

/** The directory of host `host`'s pilot jobs (created 0700). */
export function pilotDir(stateDir: string, host: string): string {
  const dir = join(stateDir, "slurm", host);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/**
 * The recorded jobs of a host: none when the file is missing. A file that cannot be read, does not
 * match, or names a job directory outside `dir` is a config error: never guessed empty, since the
 * next write would then forget jobs that still run (and a stop would delete what it names).
 */
export function readPilotRecords(dir: string): PilotRecord[] {
  const file = join(dir, "jobs.json");
  if (!existsSync(file)) return [];
  const unusable = (why: string, cause?: unknown) =>
    configError(
      `${file} ${why}: nohead leaves it as it is`,
      "the jobs it lists may still run (`squeue --me`): fix the file, or cancel them with scancel and delete it",
      cause,
    );
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw unusable("is not readable JSON", error);
  }
  const parsed = PilotRecords.safeParse(data);
  if (!parsed.success) throw unusable(`does not match its format (${z.prettifyError(parsed.error)})`);
  for (const record of parsed.data.jobs) {
    if (!isOwnJobDir(dir, record.dir)) {
      throw unusable(`names ${record.dir} as job ${record.jobId}'s directory, which is not one of ${dir}`);
    }
  }
  return parsed.data.jobs;
}

/** Replaces the recorded jobs, atomically (mode 0600). */
export function writePilotRecords(dir: string, jobs: PilotRecord[]): void {
  writeJsonAtomic(join(dir, "jobs.json"), { jobs });
}

/**
 * Deletes a job's directory (its VMs' disks, token, output). Only one of `dir`'s own children,
 * as {@link readPilotRecords} checked: a record never makes nohead delete anything else.
 */
export function removeJobDir(dir: string, record: PilotRecord): void {
  if (!isOwnJobDir(dir, record.dir)) {
    throw new Error(`job ${record.jobId}'s directory ${record.dir} is not under ${dir}`);
  }
  rmSync(record.dir, { recursive: true, force: true });
}

/** What the job's agent reported, or null while it has not (or wrote something else). */
export function readAgentReady(jobDir: string): AgentReady | null {
  try {
    const parsed = AgentReady.safeParse(JSON.parse(readFileSync(join(jobDir, "agent.json"), "utf8")));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
