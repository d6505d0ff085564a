/** `nohead restart <vm>`: stop it gracefully where it runs, then start it there and wait until ready. */
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
  const stopped = reportStops(await stopEverywhere(fleet, [vm]), false);
  if (stopped !== 0) return stopped;
  return startAndReport(globals, [vm], opts);
}
