/** `nohead stop <vm…>` and `nohead stopall`: graceful, parallel, bounded; only this project's VMs. */
import type { StopReport } from "@nohead/supervisor";
import pc from "picocolors";
import { openFleet } from "../open-fleet.ts";
import { stopEverywhere } from "../placement.ts";
import type { GlobalOptions } from "../program.ts";

interface StopOptions {
  json?: boolean;
  timeout?: number;
}

/** Prints stop reports (text to `out`, JSON to stdout) and returns the exit code. */
export function reportStops(
  reports: StopReport[],
  json: boolean,
  out: { write(text: string): unknown } = process.stdout,
): number {
  if (json) process.stdout.write(`${JSON.stringify({ machines: reports }, null, 2)}\n`);
  else {
    for (const r of reports) {
      out.write(
        r.ok
          ? `${pc.green("■")} ${r.machine}: ${r.method === "already-stopped" ? "was not running" : `stopped by ${r.method} in ${(r.durationMs / 1000).toFixed(1)}s`}\n`
          : `${pc.red("✖")} ${r.machine}: ${r.error}\n`,
      );
    }
  }
  return reports.every((r) => r.ok) ? 0 : 1;
}

export async function run([names, options]: unknown[], globals: GlobalOptions): Promise<number> {
  const { json = false, timeout } = options as StopOptions;
  const fleet = openFleet(globals);
  const reports = await stopEverywhere(
    fleet,
    fleet.resolveNames(names as string[]),
    timeout === undefined ? {} : { powerdownMs: timeout * 1000 },
  );
  return reportStops(reports, json);
}
