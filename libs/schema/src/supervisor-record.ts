/**
 * `.nohead/supervisor.json`: which process supervises a project and where its unix socket is.
 * The supervisor writes it once it listens and removes it when it ends; a record whose process
 * (pid AND start time) is gone is stale, and the next nohead command starts a new supervisor.
 */
import { z } from "zod";

export const SupervisorRecord = z.strictObject({
  schemaVersion: z.literal(1),
  pid: z.number().int().positive(),
  /** The process's start time in clock ticks since boot (/proc/<pid>/stat), against pid reuse. */
  processStartTicks: z.string().nullable(),
  /** The host API's unix socket (mode 0600, in the project's runtime dir). */
  socket: z.string(),
  startedAt: z.iso.datetime(),
});
export type SupervisorRecord = z.infer<typeof SupervisorRecord>;
