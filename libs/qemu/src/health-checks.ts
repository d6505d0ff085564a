/**
 * Host-side health probes of a VM through its port forwards. QEMU's user network accepts a
 * forwarded connection before the guest does, so a bare TCP connect proves nothing: the SSH
 * probe reads the banner, and the TCP probe requires the connection to stay open (or send
 * data) — user networking closes it at once when the guest refuses.
 */
import { connect } from "node:net";

export interface ProbeResult {
  ok: boolean;
  detail: string;
}

/**
 * Connects to `host:port` and waits for an SSH identification line (`SSH-2.0-…`).
 *
 * @example
 * await probeSshBanner("127.0.0.1", 2200, 3000) // { ok: true, detail: "SSH-2.0-OpenSSH_9.6" }
 */
export function probeSshBanner(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let received = "";
    const socket = connect({ host, port });
    const done = (result: ProbeResult) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(
      () => done({ ok: false, detail: `no SSH banner within ${timeoutMs} ms` }),
      timeoutMs,
    );
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      received += chunk;
      const line = received.split(/\r?\n/)[0] ?? "";
      if (received.includes("\n") || line.length > 255) {
        done(
          line.startsWith("SSH-")
            ? { ok: true, detail: line.trim() }
            : { ok: false, detail: `not an SSH banner: ${line.slice(0, 40)}` },
        );
      }
    });
    socket.on("error", (error) => done({ ok: false, detail: error.message }));
    socket.on("close", () => done({ ok: false, detail: "connection closed before an SSH banner" }));
  });
}

/**
 * Connects to a forwarded TCP port: healthy when the guest sends data or the connection stays
 * open for `holdMs` (user networking closes it at once when nothing listens in the guest).
 */
export function probeTcpForward(host: string, port: number, holdMs = 600): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = (result: ProbeResult) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    socket.on("connect", () => {
      timer = setTimeout(
        () => done({ ok: true, detail: `port ${port} accepted and held the connection` }),
        holdMs,
      );
    });
    socket.on("data", () => done({ ok: true, detail: `port ${port} answered` }));
    socket.on("error", (error) => done({ ok: false, detail: error.message }));
    socket.on("close", () =>
      done({ ok: false, detail: `guest closed the connection on port ${port} (nothing listening?)` }),
    );
  });
}
