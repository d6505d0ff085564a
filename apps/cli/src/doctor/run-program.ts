/** Runs a program for a doctor check, bounded by a deadline; never throws. */

export interface ProgramResult {
  /** False when the program is not on PATH. */
  found: boolean;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/**
 * `argv` with stdin closed, killed after `timeoutMs`.
 *
 * @example
 * const { found, stdout } = await runProgram(["nix", "--version"], 5000); // stdout: "nix (Nix) 2.8.0\n"
 */
export async function runProgram(argv: string[], timeoutMs: number): Promise<ProgramResult> {
  let child: Bun.Subprocess<"ignore", "pipe", "pipe">;
  try {
    child = Bun.spawn(argv, {
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      timeout: timeoutMs,
      killSignal: "SIGKILL",
    });
  } catch {
    return { found: false, exitCode: null, stdout: "", stderr: "", timedOut: false };
  }
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { found: true, exitCode, stdout, stderr, timedOut: child.signalCode === "SIGKILL" };
}
