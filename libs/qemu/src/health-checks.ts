/**
 * Host-side health probes of a VM through its port forwards. QEMU's user network accepts a
 * forwarded connection before the guest does, so a bare TCP connect proves nothing: the SSH
 * probe reads the banner, and the TCP probe requires the connection to stay open (or send
 * data) — user networking closes it at once when the guest refuses.
 */
import type { Socket } from "bun";

export interface ProbeResult {
  ok: boolean;
  detail: string;
}

/** What a probe does with its connection's events; `done` settles the probe (first call wins). */
interface ProbeHandlers {
  open?(): void;
  data?(chunk: Buffer): void;
  close(): void;
  /** Clears the probe's timers; runs once, when it settles. */
  cleanup?(): void;
}

/**
 * Connects to `host:port` with Bun's socket (cheaper in a worker than node:net) and resolves with
 * the first result `handlers` settle on, or the connect error; the connection is closed then.
 */
function probe(
  host: string,
  port: number,
  handlers: (done: (result: ProbeResult) => void) => ProbeHandlers,
): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let socket: Socket | undefined;
    let settled = false;
    const done = (result: ProbeResult) => {
      if (settled) return;
      settled = true;
      on.cleanup?.();
      socket?.terminate();
      resolve(result);
    };
    const on: ProbeHandlers = handlers(done);
    Bun.connect({
      hostname: host,
      port,
      socket: {
        open(opened) {
          socket = opened;
          if (settled) opened.terminate();
          else on.open?.();
        },
        data: (_socket, chunk) => on.data?.(chunk),
        close: () => on.close(),
        error: (_socket, error) => done({ ok: false, detail: error.message }),
        connectError: () => undefined,
      },
    }).catch((error: Error) => done({ ok: false, detail: error.message }));
  });
}

/**
 * Connects to `host:port` and waits for an SSH identification line (`SSH-2.0-…`).
 *
 * @example
 * await probeSshBanner("127.0.0.1", 2200, 3000) // { ok: true, detail: "SSH-2.0-OpenSSH_9.6" }
 */
export function probeSshBanner(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return probe(host, port, (done) => {
    let received = "";
    const timer = setTimeout(
      () => done({ ok: false, detail: `no SSH banner within ${timeoutMs} ms` }),
      timeoutMs,
    );
    return {
      cleanup: () => clearTimeout(timer),
      data(chunk) {
        received += chunk.toString("latin1");
        const line = received.split(/\r?\n/)[0] ?? "";
        if (received.includes("\n") || line.length > 255) {
          done(
            line.startsWith("SSH-")
              ? { ok: true, detail: line.trim() }
              : { ok: false, detail: `not an SSH banner: ${line.slice(0, 40)}` },
          );
        }
      },
      close: () => done({ ok: false, detail: "connection closed before an SSH banner" }),
    };
  });
}

/**
 * Connects to a forwarded TCP port: healthy when the guest sends data or the connection stays
 * open for `holdMs` (user networking closes it at once when nothing listens in the guest).
 */
export function probeTcpForward(host: string, port: number, holdMs = 600): Promise<ProbeResult> {
  return probe(host, port, (done) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    return {
      cleanup: () => clearTimeout(timer),
      open() {
        timer = setTimeout(
          () => done({ ok: true, detail: `port ${port} accepted and held the connection` }),
          holdMs,
        );
      },
      data: () => done({ ok: true, detail: `port ${port} answered` }),
      close: () =>
        done({ ok: false, detail: `guest closed the connection on port ${port} (nothing listening?)` }),
    };
  });
}
