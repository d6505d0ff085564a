/** `nohead destroy <vm>|--all`: stop, then delete the disk and state (asks first unless --yes). */
import { createInterface } from "node:readline/promises";
import { LOCAL_HOST } from "@nohead/hosts";
import { usageError } from "@nohead/schema";
import { notRunningReport } from "@nohead/supervisor";
import pc from "picocolors";
import { openFleet } from "../open-fleet.ts";
import { hostOf, neverRan, recordPlacement } from "../placement.ts";
import type { GlobalOptions } from "../program.ts";

export async function run([names, options]: unknown[], globals: GlobalOptions): Promise<number> {
  const {
    all = false,
    yes = false,
    json = false,
  } = options as { all?: boolean; yes?: boolean; json?: boolean };
  const fleet = openFleet(globals);
  const given = names as string[];
  if (all === given.length > 0) throw usageError("name the machines to destroy, or pass --all (not both)");
  const targets = all ? fleet.names() : fleet.resolveNames(given);
  if (targets.length === 0) {
    process.stdout.write("nothing to destroy\n");
    return 0;
  }
  if (!yes) {
    if (!process.stdin.isTTY)
      throw usageError("destroy deletes disks: confirm with --yes when not on a terminal");
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    const answer = await rl.question(`Delete the disk and state of ${targets.join(", ")}? [y/N] `);
    rl.close();
    if (!/^y(es)?$/i.test(answer.trim())) {
      process.stderr.write("nothing deleted\n");
      return 1;
    }
  }
  const reports = await Promise.all(
    targets.map(async (name) => {
      if (neverRan(fleet, name)) return notRunningReport(name); // no disk, no state: nothing to delete
      const report = await hostOf(fleet, name).destroy(name);
      if (report.ok) recordPlacement(fleet, LOCAL_HOST, [name]); // forgotten wherever it ran
      return report;
    }),
  );
  if (json) process.stdout.write(`${JSON.stringify({ machines: reports }, null, 2)}\n`);
  else
    for (const r of reports)
      process.stdout.write(
        r.ok ? `${pc.green("✔")} ${r.machine}: destroyed\n` : `${pc.red("✖")} ${r.machine}: ${r.error}\n`,
      );
  return reports.every((r) => r.ok) ? 0 : 1;
}
