/**
 * `nohead restart <vm>`: stop it gracefully where it runs, then start it there and wait until
 * ready. With `--json`, stdout holds only the start results' JSON; the stop is reported on stderr.
 */
import { openFleet } from "../open-fleet.ts";
import { stopEverywhere } from "../placement.ts";
import type { GlobalOptions } from "../program.ts";
import { type RunOptions, startAndReport } from "./run.ts";
import { reportStops } from "./stop.ts";

export async function run([name, options]: unknown[], globals: GlobalOptions): Promise<number> {
  const fleet = openFleet(globals);
  const vm = name as string;
  fleet.machine(vm);
  const opts = options as RunOptions;
  const stopped = reportStops(
    await stopEverywhere(fleet, [vm]),
    false,
    opts.json ? process.stderr : process.stdout,
  );
  if (stopped !== 0) return stopped;
  return startAndReport(globals, [vm], opts);
}
