/**
 * `nohead restart <vm>`: stop it gracefully, then start it and wait until ready. With `--json`,
 * stdout holds only the start results' JSON; the stop is reported on stderr.
 */
import { openFleet } from "../open-fleet.ts";
import type { GlobalOptions } from "../program.ts";
import { type RunOptions, startAndReport } from "./run.ts";
import { reportStops } from "./stop.ts";

export async function run([name, options]: unknown[], globals: GlobalOptions): Promise<number> {
  const fleet = openFleet(globals);
  fleet.machine(name as string);
  const opts = options as RunOptions;
  const stopped = reportStops(
    await fleet.stop([name as string]),
    false,
    opts.json ? process.stderr : process.stdout,
  );
  if (stopped !== 0) return stopped;
  return startAndReport(globals, [name as string], opts);
}
