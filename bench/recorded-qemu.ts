/**
 * What nohead started, exactly: the argv and working directory of every QEMU process of a
 * project, read from /proc while they run, so a bare launcher can start the identical command
 * lines later (bench/replay-fleet.ts) — the fairest floor for `nohead runall`.
 */
import { readFileSync, readlinkSync } from "node:fs";
import { z } from "zod";
import { findQemuUnder } from "./qemu-reaper.ts";

export const RecordedQemu = z.strictObject({
  /** The machine, from the VM's state directory (`…/vms/<name>/`) in its argv. */
  name: z.string().min(1),
  argv: z.array(z.string()).min(1),
  cwd: z.string().startsWith("/"),
});
export type RecordedQemu = z.infer<typeof RecordedQemu>;

/**
 * The QEMU processes whose argv mentions `projectDir`, by machine name.
 *
 * @example
 * const recorded = recordQemuUnder(project.projectDir); // [{ name: "vm-1", argv: ["/usr/bin/qemu-system-x86_64", …], cwd }]
 */
export function recordQemuUnder(projectDir: string): RecordedQemu[] {
  return findQemuUnder(projectDir)
    .map(({ pid }) => {
      const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").slice(0, -1);
      const name = /\/vms\/([^/]+)\//.exec(argv.join("\n"))?.[1];
      if (name === undefined) throw new Error(`QEMU pid ${pid} names no VM state directory in its argv`);
      return RecordedQemu.parse({ name, argv, cwd: readlinkSync(`/proc/${pid}/cwd`) });
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}
