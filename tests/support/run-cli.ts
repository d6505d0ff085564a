/** Runs the real `nohead` CLI in a subprocess, as a user would, and captures what it prints. */
import { join } from "node:path";

export const REPO_ROOT = join(import.meta.dir, "../..");
export const CLI = join(REPO_ROOT, "apps/cli/src/main.ts");

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** `nohead <args>` in `cwd`; never throws on a non-zero exit. */
export async function runCli(
  args: string[],
  {
    cwd = REPO_ROOT,
    env = {},
    timeoutMs = 120_000,
  }: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<CliResult> {
  const child = Bun.spawn(["bun", CLI, ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: "1", ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    timeout: timeoutMs,
  });
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { exitCode, stdout, stderr };
}
