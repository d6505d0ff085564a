/**
 * Writes a JSON state file whole: to a temp file beside it, then renamed over it, so a reader
 * (another command, an agent on another node over a shared filesystem) never sees half of it.
 */
import { renameSync, writeFileSync } from "node:fs";

/**
 * Replaces `file` with `value` as JSON (two-space indented, a final newline), mode `mode` (0600 by
 * default: such files hold addresses, tokens' whereabouts, pids).
 *
 * @example
 * writeJsonAtomic(".nohead/slurm/cluster/jobs.json", { jobs: [] });
 */
export function writeJsonAtomic(file: string, value: unknown, { mode = 0o600 } = {}): void {
  // pid and a random part: worker threads of one process share the pid.
  const tmp = `${file}.${process.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode });
  renameSync(tmp, file);
}
