/**
 * What nohead remembers of a Slurm host's pilot jobs, under the project's state dir:
 * `.nohead/slurm/<host>/jobs.json` (job id, node, machines, its directory) and a directory per job
 * (mode 0700) holding its agent's token, the address its agent reports (`agent.json`), its state
 * dir and Slurm's output. The agents on the nodes read and write there: on a real cluster the
 * project lives on the shared filesystem (docs/slurm.md).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MachineName } from "@nohead/schema";
import { z } from "zod";

export const PilotRecord = z.strictObject({
  jobId: z.string().regex(/^\d+(_\d+)?$/),
  /** The job's directory (token, agent.json, state, output). */
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
  node: z.string(),
  pid: z.number().int().positive(),
});
export type AgentReady = z.infer<typeof AgentReady>;

/** The directory of host `host`'s pilot jobs (created 0700). */
export function pilotDir(stateDir: string, host: string): string {
  const dir = join(stateDir, "slurm", host);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/** The recorded jobs of a host (none when the file is missing or unreadable). */
export function readPilotRecords(dir: string): PilotRecord[] {
  const file = join(dir, "jobs.json");
  if (!existsSync(file)) return [];
  try {
    const parsed = PilotRecords.safeParse(JSON.parse(readFileSync(file, "utf8")));
    return parsed.success ? parsed.data.jobs : [];
  } catch {
    return [];
  }
}

/** Replaces the recorded jobs, atomically (mode 0600). */
export function writePilotRecords(dir: string, jobs: PilotRecord[]): void {
  const file = join(dir, "jobs.json");
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ jobs }, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
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
