/**
 * What happens to a fleet's VMs, as their watchers see it: one event per change, with the
 * machine, the time and why. The runtime emits them (`Fleet.subscribe`); the supervisor streams
 * them (`nohead events`, SSE). Only types here are used by VM workers (they stay free of zod).
 */
import { z } from "zod";
import { MachineName } from "./manifest.ts";
import { HealthResult, StopMethod } from "./vm-state.ts";

const common = {
  machine: MachineName,
  at: z.iso.datetime().describe("When it happened"),
  reason: z.string().nullable().describe("Why, in a sentence (null when there is nothing to add)"),
};
const Pid = z.number().int().positive();

export const FleetEvent = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("start"), ...common, pid: Pid }).describe("QEMU was launched"),
  z.strictObject({ type: z.literal("ready"), ...common, pid: Pid }).describe("Every readiness check passed"),
  z
    .strictObject({ type: z.literal("healthy"), ...common, health: z.array(HealthResult) })
    .describe("The checks pass again (or for the first time after ready)"),
  z
    .strictObject({ type: z.literal("unhealthy"), ...common, health: z.array(HealthResult) })
    .describe("The checks failed `retries` runs in a row; `health` holds the last results"),
  z
    .strictObject({
      type: z.literal("crash"),
      ...common,
      pid: Pid,
      willRestart: z.boolean().describe("Whether the restart policy starts it again"),
    })
    .describe("QEMU exited without a stop and not by the guest powering off: killed or crashed"),
  z
    .strictObject({
      type: z.literal("restart"),
      ...common,
      attempt: z.number().int().min(1).describe("Restarts in a row, this one included"),
      delayMs: z.number().min(0).describe("The backoff waited before this restart"),
    })
    .describe("The restart policy starts QEMU again"),
  z
    .strictObject({ type: z.literal("failed"), ...common })
    .describe("A start did not get ready (it was stopped)"),
  z
    .strictObject({ type: z.literal("stop"), ...common, method: StopMethod.nullable() })
    .describe("The VM was stopped (by a command, or the guest powered off) and is not restarted"),
]);
export type FleetEvent = z.infer<typeof FleetEvent>;
export type FleetEventType = FleetEvent["type"];
