/**
 * What happens to a VM over its life, as the host API streams it (`GET /v1/events`, Server-Sent
 * Events) and `nohead events` prints it. Every host — the project's supervisor, an agent — emits
 * the same shape, so the CLI merges their streams without knowing which is which.
 */
import { z } from "zod";

/**
 * `start`: a new QEMU process runs; `ready`: it passed its readiness checks; `healthy` /
 * `unhealthy`: its health changed; `restart`: a restart policy started it again; `crash`: its
 * process is gone without a stop; `failed`: a start gave up; `stop`: it was stopped.
 */
export const VmEventType = z.enum([
  "start",
  "ready",
  "healthy",
  "unhealthy",
  "restart",
  "crash",
  "failed",
  "stop",
]);
export type VmEventType = z.infer<typeof VmEventType>;

export const VmEvent = z.strictObject({
  type: VmEventType,
  machine: z.string(),
  /** When it was seen (ISO 8601). */
  at: z.iso.datetime(),
  /** The pid of the QEMU process concerned, when there is one. */
  pid: z.number().int().positive().nullable(),
  /** A sentence: why it crashed, which check failed, how it was stopped. */
  detail: z.string().nullable(),
});
export type VmEvent = z.infer<typeof VmEvent>;
