/**
 * Runs the real qemu-ga (Debian's qemu-guest-agent) on the host, listening on a Unix socket, so
 * the guest-agent client can be tested against the real agent without booting a guest. The agent
 * acts on the host (as the test user), so every command that could change the machine is blocked.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** RPCs that would act on the host itself: never let a test reach them. */
export const BLOCKED_RPCS = [
  "guest-shutdown",
  "guest-suspend-disk",
  "guest-suspend-ram",
  "guest-suspend-hybrid",
  "guest-set-time",
  "guest-fsfreeze-freeze",
  "guest-fsfreeze-freeze-list",
  "guest-fsfreeze-thaw",
  "guest-fstrim",
  "guest-set-user-password",
  "guest-set-vcpus",
  "guest-set-memory-blocks",
  "guest-ssh-add-authorized-keys",
  "guest-ssh-remove-authorized-keys",
  "guest-file-write",
];

/** A running host qemu-ga; always `stop()` it in `finally`. */
export interface HostGuestAgent {
  socketPath: string;
  dir: string;
  stop(): Promise<void>;
}

/**
 * Starts `qemu-ga -m unix-listen` in a temp dir and waits (up to `timeoutMs`) for its socket.
 *
 * @example
 * ```ts
 * const qga = await startHostGuestAgent();
 * try { const agent = await GuestAgentClient.connect(qga.socketPath); … } finally { await qga.stop(); }
 * ```
 */
export async function startHostGuestAgent({ timeoutMs = 10_000 } = {}): Promise<HostGuestAgent> {
  const dir = mkdtempSync(join(tmpdir(), "nohead-qga-"));
  const socketPath = join(dir, "qga.sock");
  const agent = Bun.spawn(
    [
      "qemu-ga",
      "--method=unix-listen",
      `--path=${socketPath}`,
      `--pidfile=${join(dir, "qga.pid")}`,
      `--statedir=${dir}`,
      `--block-rpcs=${BLOCKED_RPCS.join(",")}`,
    ],
    { stdin: "ignore", stdout: "ignore", stderr: "pipe" },
  );
  const stop = async () => {
    if (agent.exitCode === null && agent.signalCode === null) agent.kill("SIGKILL");
    await agent.exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = performance.now() + timeoutMs;
  while (!existsSync(socketPath)) {
    if (agent.exitCode !== null || performance.now() > deadline) {
      const stderr = agent.exitCode !== null ? await new Response(agent.stderr).text() : "";
      await stop();
      throw new Error(`qemu-ga did not listen on ${socketPath} within ${timeoutMs} ms: ${stderr}`);
    }
    await Bun.sleep(20);
  }
  return { socketPath, dir, stop };
}
