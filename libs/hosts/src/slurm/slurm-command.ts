/**
 * Runs one Slurm client command (sbatch, scontrol, scancel) as an argv, never through a shell,
 * with a deadline. A controller that does not answer becomes one `failed` error naming the host;
 * a missing client one `config` error.
 */
import { NoheadError } from "@nohead/schema";

/** How long a Slurm client command may take (the controller answers in milliseconds when up). */
export const SLURM_COMMAND_TIMEOUT_MS = 30_000;

export interface SlurmCommandOptions {
  timeoutMs?: number;
  env?: Record<string, string | undefined>;
}

/**
 * Runs `argv` and resolves with its stdout; fails naming `host` with Slurm's own message.
 *
 * @example
 * const id = (await runSlurmCommand("cluster", ["sbatch", "--parsable", script])).trim();
 */
export async function runSlurmCommand(
  host: string,
  argv: string[],
  { timeoutMs = SLURM_COMMAND_TIMEOUT_MS, env = process.env }: SlurmCommandOptions = {},
): Promise<string> {
  let child: Bun.Subprocess<"ignore", "pipe", "pipe">;
  try {
    child = Bun.spawn(argv, { stdin: "ignore", stdout: "pipe", stderr: "pipe", env, timeout: timeoutMs });
  } catch (error) {
    throw new NoheadError("config", `host ${host}: cannot run ${argv[0]} (${String(error)})`, {
      hint: "install the Slurm client commands (Debian: slurm-client) on this computer (docs/slurm.md)",
      cause: error,
    });
  }
  const started = performance.now();
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  if (exitCode === 0) return stdout;
  const said = stderr.trim().split("\n").slice(-3).join("; ") || `exit ${exitCode}`;
  if (child.signalCode !== null && performance.now() - started >= timeoutMs) {
    throw controllerDown(host, argv, `no answer within ${Math.round(timeoutMs / 1000)} s`);
  }
  if (/unable to contact slurm controller|connection refused|Zero Bytes were transmitted/i.test(said)) {
    throw controllerDown(host, argv, said);
  }
  throw new NoheadError("failed", `host ${host}: \`${argv.join(" ")}\` failed: ${said}`, {
    hint: "see docs/slurm.md",
  });
}

function controllerDown(host: string, argv: string[], said: string): NoheadError {
  return new NoheadError("failed", `host ${host}: the Slurm cluster does not answer (${argv[0]}: ${said})`, {
    hint: "check that slurmctld runs (`sinfo`, `scontrol ping`) and that SLURM_CONF points at the cluster's slurm.conf",
  });
}
