/**
 * The one reader of a VM's state file (`.nohead/vms/<name>/state.json`, written by
 * write-state.ts). It only reads: a corrupt file is reported, never moved (the commands that go on
 * to start or stop the VM set it aside, state-store.ts). The check is pluggable: commands that act
 * on a VM validate with the zod schema (state-store.ts); the fast paths (`status`, `list`) use
 * {@link checkStateShape}, the same rules written without the schema library, which a test holds
 * to the schema's verdict for every field.
 */
import { readFileSync } from "node:fs";
import type { VmState } from "@nohead/schema";
import { USER_NAME_PATTERN } from "@nohead/schema/user-name";

/** A state file's verdict: the state, no file, or why it cannot be trusted. */
export type StateFileRead =
  | { kind: "ok"; state: VmState }
  | { kind: "missing" }
  | { kind: "corrupt"; reason: string };

/** A check of parsed JSON: null when it is a VmState, else why not. */
export type StateCheck = (value: unknown) => string | null;

/** Reads and checks the state file `file`; never writes. */
export function readStateFile(file: string, check: StateCheck = checkStateShape): StateFileRead {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return { kind: "missing" };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { kind: "corrupt", reason: (error as Error).message };
  }
  const reason = check(value);
  return reason === null ? { kind: "ok", state: value as VmState } : { kind: "corrupt", reason };
}

/** The fields of a state file, in the schema's order (a test compares them with VmState's). */
export const STATE_FIELDS = [
  "schemaVersion",
  "name",
  "pid",
  "processStartTicks",
  "startedAt",
  "runner",
  "system",
  "username",
  "display",
  "forwards",
  "sockets",
  "consoleLog",
  "disk",
  "readiness",
  "readyAt",
  "health",
  "initScript",
  "failure",
  "stop",
  "healthStatus",
  "lastHealthCheck",
  "healthFailures",
  "restarts",
  "watcher",
  "supervision",
] as const;

/** Fields that states written by an older nohead lack. */
const OPTIONAL_FIELDS: ReadonlySet<string> = new Set([
  "healthStatus",
  "lastHealthCheck",
  "healthFailures",
  "restarts",
  "watcher",
  "supervision",
]);
const RESTART_POLICIES = ["no", "on-failure", "always"];
const HEALTH_STATUSES = ["starting", "healthy", "unhealthy"];
const READINESS = ["starting", "started", "booted", "ready", "failed", "stopped"];
const STOP_METHODS = ["powerdown", "guest-shutdown", "quit", "sigterm", "sigkill", "already-stopped"];
const MACHINE_NAME = /^[A-Za-z0-9]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === "string";
const isTime = (v: unknown) => isString(v) && ISO_TIME.test(v);
const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);

/** Rules per field: true when the value is acceptable. */
const RULES: Record<(typeof STATE_FIELDS)[number], (v: unknown) => boolean> = {
  schemaVersion: (v) => v === 1,
  name: (v) => isString(v) && MACHINE_NAME.test(v),
  pid: (v) => v === null || (isInt(v) && v > 0),
  processStartTicks: (v) => v === null || isString(v),
  startedAt: isTime,
  runner: isString,
  system: isString,
  username: (v) => isString(v) && USER_NAME_PATTERN.test(v),
  display: (v) => v === "none" || v === "window",
  forwards: (v) =>
    Array.isArray(v) &&
    v.every(
      (f) =>
        isObject(f) &&
        Object.keys(f).length === 5 &&
        isString(f.name) &&
        (f.protocol === "tcp" || f.protocol === "udp") &&
        isInt(f.guestPort) &&
        isInt(f.hostPort) &&
        isString(f.hostAddress),
    ),
  sockets: (v) =>
    isObject(v) &&
    Object.keys(v).length === 3 &&
    isString(v.qmp) &&
    isString(v.guestAgent) &&
    isString(v.console),
  consoleLog: isString,
  disk: isString,
  readiness: (v) => READINESS.includes(v as string),
  readyAt: (v) => v === null || isTime(v),
  health: (v) =>
    Array.isArray(v) &&
    v.every(
      (h) =>
        isObject(h) &&
        Object.keys(h).length === 3 &&
        isString(h.check) &&
        typeof h.ok === "boolean" &&
        isString(h.detail),
    ),
  initScript: (v) => v === null || isString(v),
  healthStatus: (v) => v === null || HEALTH_STATUSES.includes(v as string),
  lastHealthCheck: (v) => v === null || isTime(v),
  healthFailures: (v) => isInt(v) && v >= 0,
  restarts: (v) => isInt(v) && v >= 0,
  watcher: (v) =>
    v === null ||
    (isObject(v) &&
      Object.keys(v).length === 2 &&
      isInt(v.pid) &&
      v.pid > 0 &&
      (v.startTicks === null || isString(v.startTicks))),
  // Its shape only: the fast paths never use it (the watcher reads it through the schema).
  supervision: (v) =>
    v === null ||
    (isObject(v) &&
      Object.keys(v).length === 4 &&
      isObject(v.health) &&
      RESTART_POLICIES.includes(v.restart as string) &&
      Array.isArray(v.forwards) &&
      isObject(v.invocation) &&
      Array.isArray(v.invocation.args) &&
      isObject(v.invocation.env)),
  failure: (v) => v === null || isString(v),
  stop: (v) =>
    v === null ||
    (isObject(v) &&
      Object.keys(v).length === 3 &&
      STOP_METHODS.includes(v.method as string) &&
      isTime(v.at) &&
      typeof v.durationMs === "number"),
};

/**
 * The VmState rules without the schema library: null when `value` is a state file's content,
 * else the first field that is wrong.
 *
 * @example
 * checkStateShape({ schemaVersion: 2 }) // => "schemaVersion: unexpected value"
 */
export function checkStateShape(value: unknown): string | null {
  if (!isObject(value)) return "not an object";
  for (const field of STATE_FIELDS) {
    if (!(field in value)) {
      if (OPTIONAL_FIELDS.has(field)) continue;
      return `${field}: missing`;
    }
    if (!RULES[field](value[field])) return `${field}: unexpected value`;
  }
  const extra = Object.keys(value).find((k) => !(STATE_FIELDS as readonly string[]).includes(k));
  return extra === undefined ? null : `${extra}: unknown field`;
}
