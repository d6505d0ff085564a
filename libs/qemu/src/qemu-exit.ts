/**
 * Why a QEMU process ended, as its watcher saw it on the events monitor (a second QMP socket):
 * QEMU announces a `SHUTDOWN` event with its cause before it exits on purpose; a process that
 * was killed (SIGKILL) or crashed goes without one. A restart policy needs the difference:
 * `on-failure` leaves a guest that powered off alone and starts a killed one again.
 */
import { QmpClient } from "./qmp-client.ts";

/** The `SHUTDOWN` event's data: who asked (`guest`) and QEMU's ShutdownCause. */
export interface ShutdownEvent {
  guest: boolean;
  reason: string;
}

export interface QemuExit {
  /** Whether the exit was meant (the guest powered off, QEMU was told to quit): not a failure. */
  clean: boolean;
  /** Whether the guest asked for it (it powered off or panicked). */
  byGuest: boolean;
  /** What happened, in words. */
  reason: string;
}

/**
 * Classifies an exit by the last `SHUTDOWN` event seen before it (null: none came).
 *
 * @example
 * qemuExit({ guest: true, reason: "guest-shutdown" }) // { clean: true, byGuest: true, reason: "the guest powered off" }
 * qemuExit(null) // { clean: false, byGuest: false, reason: "QEMU exited without shutting down (killed or crashed)" }
 */
export function qemuExit(shutdown: ShutdownEvent | null): QemuExit {
  const byGuest = shutdown?.guest ?? false;
  switch (shutdown?.reason) {
    case undefined:
      return { clean: false, byGuest, reason: "QEMU exited without shutting down (killed or crashed)" };
    case "guest-shutdown":
      return { clean: true, byGuest, reason: "the guest powered off" };
    case "host-qmp-quit":
      return { clean: true, byGuest, reason: "QEMU was told to quit (QMP quit)" };
    case "host-ui":
      return { clean: true, byGuest, reason: "its window was closed" };
    case "host-signal":
      return { clean: false, byGuest, reason: "QEMU was ended by a signal" };
    case "guest-panic":
      return { clean: false, byGuest, reason: "the guest kernel panicked" };
    default:
      return { clean: false, byGuest, reason: `QEMU shut down (${shutdown?.reason})` };
  }
}

/**
 * Holds a VM's events monitor: records the last `SHUTDOWN` event, and `closed` resolves when QEMU
 * is gone (or the connection was closed). One client per monitor: a second watcher cannot connect.
 */
export class ExitWatch {
  /** The last `SHUTDOWN` event, or null. */
  shutdown: ShutdownEvent | null = null;
  readonly closed: Promise<unknown>;

  private constructor(private readonly qmp: QmpClient) {
    this.closed = qmp.closed;
    qmp.on("SHUTDOWN", (event) => {
      this.shutdown = { guest: event.data.guest === true, reason: String(event.data.reason ?? "unknown") };
    });
  }

  /** Connects to the events monitor at `socket`; null when it does not answer within `timeoutMs`. */
  static async connect(socket: string, timeoutMs = 2000): Promise<ExitWatch | null> {
    try {
      return new ExitWatch(await QmpClient.connect(socket, { timeoutMs }));
    } catch {
      return null;
    }
  }

  close(): void {
    this.qmp.close();
  }
}
