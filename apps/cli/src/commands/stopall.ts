/** `nohead stopall`: stop every running VM of this project (never another project's QEMU). */
import { openFleet } from "../open-fleet.ts";
import { stopEverywhere } from "../placement.ts";
import type { GlobalOptions } from "../program.ts";
import { reportStops } from "./stop.ts";

export async function run([options]: unknown[], globals: GlobalOptions): Promise<number> {
  const { json = false, timeout } = options as { json?: boolean; timeout?: number };
  const fleet = openFleet(globals);
  const reports = await stopEverywhere(
    fleet,
    undefined,
    timeout === undefined ? {} : { powerdownMs: timeout * 1000 },
  );
  if (reports.length === 0 && !json) process.stdout.write("no running machines in this project\n");
  return reportStops(reports, json);
}
