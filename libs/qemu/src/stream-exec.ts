/**
 * Runs a command in the guest and hands its output over as it comes (`nohead exec`). The guest
 * agent gives a command's captured output only once it exits, so here the command writes stdout
 * and stderr to files in a private directory of the guest (`mktemp -d`, mode 0700), which are read
 * as they grow (`guest-file-read`) and removed at the end. Needs /bin/sh and mktemp in the guest
 * (NixOS has both). A command that does not exist exits 127 with one line on stderr, as in a shell.
 */
import type { GuestAgentClient } from "./guest-agent-client.ts";
import { GuestExecError, QemuProtocolError } from "./qemu-errors.ts";

export interface StreamExecOptions {
  /** Deadline for the whole run (default 60000). */
  timeoutMs?: number;
  /** Called with each piece of output, in the order read. */
  onOutput: (stream: "stdout" | "stderr", chunk: Uint8Array) => void;
}

export interface StreamedExit {
  /** Exit status; null when a signal ended the program. */
  exitCode: number | null;
  signal: number | null;
}

const CHUNK = 64 * 1024;
const GRACE_MS = 1000;
const PRIVATE_DIR = /^\/tmp\/nohead-exec\.[A-Za-z0-9]+$/;

/**
 * Redirects into the directory given as $0, says "not found" the way a shell does, then becomes
 * the command (argv from $1 on).
 */
const SCRIPT =
  'exec >"$0/out" 2>"$0/err"; command -v "$1" >/dev/null 2>&1 || { printf "%s: command not found\\n" "$1" >&2; exit 127; }; exec "$@"';

/** One output file of the command, opened once it exists. */
class OutputFile {
  private handle: number | undefined;
  constructor(
    readonly path: string,
    readonly stream: "stdout" | "stderr",
  ) {}

  /** Reads what was appended since the last call (nothing when the file is not there yet). */
  async drain(
    agent: GuestAgentClient,
    timeoutMs: number,
    onOutput: StreamExecOptions["onOutput"],
  ): Promise<void> {
    if (this.handle === undefined) {
      try {
        this.handle = await agent.execute<number>(
          "guest-file-open",
          { path: this.path, mode: "r" },
          { timeoutMs },
        );
      } catch {
        return;
      }
    }
    // The agent reads with stdio, whose end-of-file mark sticks: a seek clears it, so what was
    // appended since the last read is seen.
    await agent.execute("guest-file-seek", { handle: this.handle, offset: 0, whence: "cur" }, { timeoutMs });
    for (;;) {
      const read = await agent.execute<{ count: number; "buf-b64": string }>(
        "guest-file-read",
        { handle: this.handle, count: CHUNK },
        { timeoutMs },
      );
      if (read.count === 0) return;
      onOutput(this.stream, new Uint8Array(Buffer.from(read["buf-b64"], "base64")));
    }
  }

  async close(agent: GuestAgentClient): Promise<void> {
    if (this.handle === undefined) return;
    await agent
      .execute("guest-file-close", { handle: this.handle }, { timeoutMs: GRACE_MS })
      .catch(() => undefined);
  }
}

/**
 * Runs `argv` in the guest through `agent`, streaming its output to `onOutput`; resolves with how
 * it exited. Rejects with {@link GuestExecError} (`timed-out`, the command keeps running in the
 * guest) after `timeoutMs`, or when the guest cannot run the shell at all (`start-failed`).
 *
 * @example
 * const { exitCode } = await streamExec(agent, ["journalctl", "-f", "-n", "5"], {
 *   timeoutMs: 10_000,
 *   onOutput: (stream, chunk) => (stream === "stdout" ? process.stdout : process.stderr).write(chunk),
 * });
 */
export async function streamExec(
  agent: GuestAgentClient,
  argv: string[],
  { timeoutMs = 60_000, onOutput }: StreamExecOptions,
): Promise<StreamedExit> {
  const [path, ...args] = argv;
  if (path === undefined)
    throw new QemuProtocolError("no command given", { channel: "guest-agent", socketPath: agent.socketPath });
  const started = performance.now();
  const remaining = () => Math.max(1, timeoutMs - (performance.now() - started));
  const made = await agent.exec("/bin/sh", ["-c", "umask 077 && mktemp -d /tmp/nohead-exec.XXXXXXXX"], {
    timeoutMs: remaining(),
  });
  const dir = made.stdout.trim();
  if (made.exitCode !== 0 || !PRIVATE_DIR.test(dir)) {
    throw new QemuProtocolError(
      `cannot make a private directory for the output in the guest (mktemp -d: ${(made.stderr || made.stdout).trim() || `exit ${made.exitCode}`})`,
      { channel: "guest-agent", socketPath: agent.socketPath },
    );
  }
  const files = [new OutputFile(`${dir}/out`, "stdout"), new OutputFile(`${dir}/err`, "stderr")];
  try {
    const { pid } = await agent.execute<{ pid: number }>(
      "guest-exec",
      { path: "/bin/sh", arg: ["-c", SCRIPT, dir, path, ...args], "capture-output": false },
      { timeoutMs: remaining() },
    );
    for (let delayMs = 5; ; delayMs = Math.min(delayMs * 2, 100)) {
      const status = await agent.execute<{ exited: boolean; exitcode?: number; signal?: number }>(
        "guest-exec-status",
        { pid },
        { timeoutMs: Math.max(remaining(), GRACE_MS) },
      );
      // Read after the status: once it says exited, this read gets everything the command wrote.
      for (const file of files) await file.drain(agent, Math.max(remaining(), GRACE_MS), onOutput);
      if (status.exited) return { exitCode: status.exitcode ?? null, signal: status.signal ?? null };
      if (performance.now() - started >= timeoutMs) {
        throw new GuestExecError({
          socketPath: agent.socketPath,
          path,
          args,
          reason: "timed-out",
          pid,
          waitedMs: Math.round(performance.now() - started),
        });
      }
      await Bun.sleep(Math.min(delayMs, remaining()));
    }
  } finally {
    for (const file of files) await file.close(agent);
    await agent.exec("/bin/rm", ["-rf", dir], { timeoutMs: GRACE_MS }).catch(() => undefined);
  }
}
