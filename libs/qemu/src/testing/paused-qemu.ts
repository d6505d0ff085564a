/**
 * Starts a real `qemu-system-x86_64` with no guest at all (`-S`: CPUs never start), so tests can
 * talk to real QMP and a real guest-agent chardev in well under a second. TCG is forced: KVM hangs
 * guests on this kind of machine.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A running paused QEMU; always `stop()` it in `finally`. */
export interface PausedQemu {
  process: Bun.Subprocess<"ignore", "ignore", "pipe">;
  dir: string;
  qmpSocket: string;
  /** Present when started with `guestAgent: true`: QEMU serves it, no agent answers. */
  guestAgentSocket: string | undefined;
  /** SIGKILLs QEMU if it still runs, waits for it, removes the temp dir. */
  stop(): Promise<void>;
}

/**
 * Starts QEMU with a QMP socket, optional `-netdev user` host forwards, and optionally the
 * guest-agent virtserialport, and waits (up to `timeoutMs`) until its sockets accept connections.
 *
 * @example
 * ```ts
 * const qemu = await startPausedQemu({ hostForwards: ["tcp:127.0.0.1:0-:22"] });
 * try { … } finally { await qemu.stop(); }
 * ```
 */
export async function startPausedQemu({
  hostForwards = [] as string[],
  guestAgent = false,
  timeoutMs = 10_000,
} = {}): Promise<PausedQemu> {
  const dir = mkdtempSync(join(tmpdir(), "nohead-qemu-"));
  const qmpSocket = join(dir, "qmp.sock");
  const guestAgentSocket = guestAgent ? join(dir, "qga.sock") : undefined;
  const argv = [
    "qemu-system-x86_64",
    "-machine",
    "accel=tcg",
    "-display",
    "none",
    "-nodefaults",
    "-S",
    "-qmp",
    `unix:${qmpSocket},server=on,wait=off`,
  ];
  if (hostForwards.length > 0) {
    argv.push("-netdev", ["user,id=n0", ...hostForwards.map((f) => `hostfwd=${f}`)].join(","));
    argv.push("-device", "virtio-net-pci,netdev=n0");
  }
  if (guestAgentSocket) {
    argv.push("-device", "virtio-serial");
    argv.push("-chardev", `socket,id=qga0,path=${guestAgentSocket},server=on,wait=off`);
    argv.push("-device", "virtserialport,chardev=qga0,name=org.qemu.guest_agent.0");
  }
  const process = Bun.spawn(argv, { stdin: "ignore", stdout: "ignore", stderr: "pipe" });
  const stop = async () => {
    if (process.exitCode === null && process.signalCode === null) process.kill("SIGKILL");
    await process.exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const socket of [qmpSocket, guestAgentSocket]) {
      if (socket) await waitForListener(socket, process, timeoutMs);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { process, dir, qmpSocket, guestAgentSocket, stop };
}

/** Waits until QEMU created `path` (it binds and listens in one step, so the file means ready). */
async function waitForListener(
  path: string,
  qemu: Bun.Subprocess<"ignore", "ignore", "pipe">,
  timeoutMs: number,
) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (qemu.exitCode !== null) {
      const stderr = await new Response(qemu.stderr).text();
      throw new Error(
        `qemu-system-x86_64 exited with ${qemu.exitCode} before listening on ${path}: ${stderr}`,
      );
    }
    if (existsSync(path)) return;
    if (performance.now() > deadline)
      throw new Error(`QEMU did not listen on ${path} within ${timeoutMs} ms`);
    await Bun.sleep(20);
  }
}
