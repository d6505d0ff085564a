/**
 * Runs a real agent process (`nohead agent serve …`, as users do) for tests and benchmarks, and
 * reads the address it prints; stops it with a signal and waits for it to exit, bounded.
 */
import { readFileSync } from "node:fs";
import { CLI, REPO_ROOT } from "../support/run-cli.ts";

/** The argv that runs an agent: `nohead agent serve`, then its flags. */
export const SERVE = ["bun", CLI, "agent", "serve"];

export interface AgentProcess {
  url: string;
  pid: number;
  /** Everything the agent printed so far (stdout and stderr). */
  output: () => string;
  /** Sends `signal` and waits (at most 15 s) for the process to end; resolves to its exit code. */
  kill: (signal?: NodeJS.Signals) => Promise<number | null>;
}

/**
 * Starts an agent with `args` (e.g. `--state-dir`, `--token-file`) on a free loopback port and
 * resolves once it listens.
 *
 * @example
 * const agent = await spawnAgent(["--token-file", file, "--state-dir", dir]);
 */
export async function spawnAgent(
  args: string[],
  {
    timeoutMs = 30_000,
    env = process.env,
  }: { timeoutMs?: number; env?: Record<string, string | undefined> } = {},
): Promise<AgentProcess> {
  const child = Bun.spawn([...SERVE, "--listen", "127.0.0.1:0", ...args], {
    cwd: REPO_ROOT,
    env,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let text = "";
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
  };
  void collect(child.stdout);
  void collect(child.stderr);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(text);
    if (match?.[1]) {
      const url = match[1];
      return {
        url,
        pid: child.pid,
        output: () => text,
        kill: async (signal = "SIGTERM") => {
          child.kill(signal);
          const exited = await Promise.race([child.exited, Bun.sleep(15_000).then(() => "timeout" as const)]);
          if (exited === "timeout") {
            child.kill("SIGKILL");
            throw new Error(`the agent (pid ${child.pid}) did not exit within 15 s of ${signal}`);
          }
          return exited;
        },
      };
    }
    if (child.exitCode !== null)
      throw new Error(`the agent exited (${child.exitCode}) before listening:\n${text}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`the agent did not print its address within ${timeoutMs} ms:\n${text}`);
    }
    await Bun.sleep(50);
  }
}

/** Pids of QEMU processes whose command line mentions `dir` (a test's own state dirs only). */
export function qemuUsing(dirs: string[]): number[] {
  const pids: number[] = [];
  for (const entry of new Bun.Glob("[0-9]*").scanSync({ cwd: "/proc", onlyFiles: false })) {
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (cmdline.includes("qemu-system") && dirs.some((d) => cmdline.includes(d))) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}
