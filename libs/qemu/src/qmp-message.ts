/**
 * The messages a QMP server (QEMU's monitor, or the guest agent) sends, as one zod schema.
 *
 * QMP tells message kinds apart by which key is present (`QMP`, `return`, `error`, `event`), not by
 * a tag; the schema adds the tag `kind` first, so the parsed type is a discriminated union.
 *
 * The QEMU clients use `zod/mini` (same zod, functional API): they run in every VM's worker, and
 * the mini build costs a worker about 1.5 MiB less than the classic one.
 */
import * as z from "zod/mini";

/** `{"qemu": {"major": 7, "minor": 2, "micro": 22}, "package": "Debian 1:7.2+dfsg-7"}` */
export const QmpVersion = z.object({
  qemu: z.object({ major: z.int(), minor: z.int(), micro: z.int() }),
  package: z.string(),
});
export type QmpVersion = z.infer<typeof QmpVersion>;

/** Sent once by QEMU when a client connects. */
export const QmpGreeting = z.object({
  kind: z.literal("greeting"),
  QMP: z.object({ version: QmpVersion, capabilities: z.array(z.string()) }),
});

/** A successful reply; `id` echoes the command's id (any JSON value). */
export const QmpReturn = z.object({
  kind: z.literal("return"),
  return: z.unknown(),
  id: z.optional(z.unknown()),
});

/** A failed reply. */
export const QmpErrorReply = z.object({
  kind: z.literal("error"),
  error: z.object({ class: z.string(), desc: z.string() }),
  id: z.optional(z.unknown()),
});

/** An asynchronous event, e.g. `{"event": "STOP", "timestamp": {"seconds": 1, "microseconds": 2}}`. */
export const QmpEventMessage = z.object({
  kind: z.literal("event"),
  event: z.string(),
  data: z.optional(z.record(z.string(), z.unknown())),
  timestamp: z.object({ seconds: z.number(), microseconds: z.number() }),
});

const tagged = z.discriminatedUnion("kind", [QmpGreeting, QmpReturn, QmpErrorReply, QmpEventMessage]);

function tagByKey(value: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  for (const [key, kind] of [
    ["QMP", "greeting"],
    ["return", "return"],
    ["error", "error"],
    ["event", "event"],
  ] as const) {
    if (key in value) return { ...value, kind };
  }
  return value;
}

/**
 * Any server message. Parse with `safeParse`: a message of unknown shape is a protocol error.
 *
 * @example
 * ```ts
 * const parsed = QmpMessage.safeParse(JSON.parse('{"return": {}, "id": 3}'));
 * if (parsed.success && parsed.data.kind === "return") console.log(parsed.data.id); // 3
 * ```
 */
export const QmpMessage = z.pipe(z.transform(tagByKey), tagged);
export type QmpMessage = z.infer<typeof QmpMessage>;
