/**
 * A Slurm time limit in seconds, and the warning a pilot job asks for before it: Slurm sends
 * SIGUSR1 to the batch script alone (`--signal=B:USR1@<s>`) — the agent, which powers its VMs
 * down — while the plain end at the limit signals every process of the job, QEMU included.
 */

/** How long before its time limit a pilot job's agent is warned (Slurm may warn up to 60 s earlier). */
export const END_WARNING_SECONDS = 120;
/** Jobs shorter than this get no warning: it would come too early in their life. */
const WARNED_FROM_SECONDS = 600;

/**
 * The seconds in a Slurm time: `MM`, `MM:SS`, `HH:MM:SS`, `D-HH`, `D-HH:MM`, `D-HH:MM:SS`
 * (sbatch(1), --time). 0 means no limit.
 *
 * @example
 * timeLimitSeconds("8:00:00") // => 28800
 * timeLimitSeconds("1-12") // => 129600
 */
export function timeLimitSeconds(time: string): number {
  const [days, rest] = time.includes("-") ? (time.split("-") as [string, string]) : [null, time];
  const parts = rest.split(":").map(Number);
  const [a = 0, b = 0, c = 0] = parts;
  if (days !== null) return Number(days) * 86_400 + a * 3600 + b * 60 + c;
  if (parts.length === 1) return a * 60;
  if (parts.length === 2) return a * 60 + b;
  return a * 3600 + b * 60 + c;
}

/**
 * sbatch's `--signal` for a pilot job of time limit `time`: none without a limit or for a short one.
 *
 * @example
 * endWarning("8:00:00") // => ["--signal=B:USR1@120"]
 * endWarning("5") // => []
 */
export function endWarning(time: string): string[] {
  const seconds = timeLimitSeconds(time);
  return seconds >= WARNED_FROM_SECONDS ? [`--signal=B:USR1@${END_WARNING_SECONDS}`] : [];
}
