/**
 * The events of a fleet's VMs (start, ready, healthy, unhealthy, crash, restart, failed, stop),
 * for the host API's event stream. A supervising fleet's workers see them happen: they are relayed
 * as they come ({@link FleetEvents.relaying}). Otherwise they are read from what every process
 * leaves on disk — state files and /proc — by comparing successive statuses, so a VM started,
 * stopped or crashed by any command shows up, whoever did it.
 */
import type { FleetEvent, VmEvent } from "@nohead/schema";
import type { VmStatus } from "./status-from-state.ts";

export type VmEventListener = (event: VmEvent) => void;

/**
 * A watcher's event as the host API streams it: the same type, machine and time, the QEMU pid
 * when there is one, and why in a sentence.
 *
 * @example
 * vmEventOf({ type: "restart", machine: "db", at, reason: null, attempt: 1, delayMs: 1000 })
 * // => { type: "restart", machine: "db", at, pid: null, detail: "restart 1 after 1 s" }
 */
export function vmEventOf(event: FleetEvent): VmEvent {
  const base = { type: event.type, machine: event.machine, at: event.at };
  switch (event.type) {
    case "start":
    case "ready":
      return { ...base, pid: event.pid, detail: event.reason };
    case "crash":
      return {
        ...base,
        pid: event.pid,
        detail: `${event.reason ?? "QEMU is gone"}${event.willRestart ? "; restarting (restart policy)" : ""}`,
      };
    case "restart":
      return {
        ...base,
        pid: null,
        detail: `restart ${event.attempt} after ${(event.delayMs / 1000).toFixed(0)} s`,
      };
    case "stop":
      return { ...base, pid: null, detail: event.reason ?? (event.method ? `by ${event.method}` : null) };
    default:
      return { ...base, pid: null, detail: event.reason };
  }
}

/** How often the statuses are compared while someone listens. */
export const EVENT_POLL_MS = 500;

/**
 * The events that lead from `before` (undefined: not seen yet) to `after`, in the order they
 * happened.
 *
 * @example
 * eventsBetween(stoppedWeb, readyWeb, now) // => [{ type: "start", … }, { type: "ready", … }]
 */
export function eventsBetween(before: VmStatus | undefined, after: VmStatus, at: string): VmEvent[] {
  const event = (type: VmEvent["type"], detail: string | null = null, pid = after.pid): VmEvent => ({
    type,
    machine: after.name,
    at,
    pid,
    detail,
  });
  const wasRunning = before?.condition === "running";
  const events: VmEvent[] = [];
  if (after.condition === "running") {
    const sameProcess = wasRunning && before?.pid === after.pid;
    // Stopped and started again between two looks: the old process ended first.
    if (wasRunning && !sameProcess)
      events.push(event("stop", "its process ended; a new one runs", before?.pid ?? null));
    if (!sameProcess) events.push(event("start"));
    if (after.readiness === "ready" && (!sameProcess || before?.readiness !== "ready"))
      events.push(event("ready"));
    const healthBefore = sameProcess ? before?.healthy : null;
    if (after.healthy === true && healthBefore !== true) events.push(event("healthy"));
    if (after.healthy === false && healthBefore !== false) {
      const failing = after.health.find((h) => !h.ok);
      events.push(event("unhealthy", failing ? `${failing.check}: ${failing.detail}` : null));
    }
    return events;
  }
  const lastPid = before?.pid ?? null;
  if (wasRunning && after.condition === "stopped")
    events.push(event("stop", after.stoppedBy && `stopped by ${after.stoppedBy}`, lastPid));
  else if (after.condition === "crashed" && before?.condition !== "crashed")
    events.push(event("crash", after.error, lastPid));
  else if (after.condition === "failed" && before !== undefined && before.condition !== "failed")
    events.push(event("failed", after.error, lastPid));
  return events;
}

/**
 * Listeners of a fleet's events. Statuses are polled only while someone listens; the first poll
 * is the baseline (no events for what was already so).
 *
 * @example
 * const events = new FleetEvents(() => fleet.status());
 * const stop = events.subscribe((e) => console.log(e.type, e.machine));
 */
export class FleetEvents {
  private readonly listeners = new Set<VmEventListener>();
  private last = new Map<string, VmStatus>();
  /** VMs seen gone without a stop once: a stop writes its record just after the process ends. */
  private maybeCrashed = new Set<string>();
  private timer: ReturnType<typeof setInterval> | undefined;

  /** `statuses`: what to compare while someone listens; null: only published events. */
  constructor(
    private readonly statuses: (() => VmStatus[]) | null,
    private readonly pollMs = EVENT_POLL_MS,
  ) {}

  /** The events a supervising fleet's workers emit, relayed as they come (no polling). */
  static relaying(fleet: { subscribe(listener: (event: FleetEvent) => void): () => void }): FleetEvents {
    const events = new FleetEvents(null);
    fleet.subscribe((event) => events.publish(vmEventOf(event)));
    return events;
  }

  /** Calls `listener` with every event from now on; returns the function that stops it. */
  subscribe(listener: VmEventListener): () => void {
    this.listeners.add(listener);
    if (!this.timer && this.statuses) {
      this.last = new Map(this.statuses().map((s) => [s.name, s]));
      this.timer = setInterval(() => this.poll(), this.pollMs);
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
  }

  /** Sends `event` to every listener (for events only the runtime knows, such as `restart`). */
  publish(event: VmEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private poll(): void {
    const at = new Date().toISOString();
    let now: VmStatus[];
    try {
      now = this.statuses?.() ?? [];
    } catch {
      return; // A state file mid-rename or a manifest being rebuilt: look again next time.
    }
    const next = new Map<string, VmStatus>();
    for (const status of now.sort((a, b) => a.name.localeCompare(b.name))) {
      const before = this.last.get(status.name);
      if (
        status.condition === "crashed" &&
        before?.condition === "running" &&
        !this.maybeCrashed.has(status.name)
      ) {
        // Look again before calling it a crash: it may be a stop whose record is being written.
        this.maybeCrashed.add(status.name);
        next.set(status.name, before);
        continue;
      }
      this.maybeCrashed.delete(status.name);
      for (const event of eventsBetween(before, status, at)) this.publish(event);
      next.set(status.name, status);
    }
    this.last = next;
  }
}
