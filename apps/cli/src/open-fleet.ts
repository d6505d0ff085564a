/** The fleet of the current directory's project, with the build result from -r/--result. */
import { Fleet } from "@nohead/supervisor/fleet";
import type { GlobalOptions } from "./program.ts";

export function openFleet(
  globals: GlobalOptions,
  { supervise = false }: { supervise?: boolean } = {},
): Fleet {
  return Fleet.open({ cwd: process.cwd(), result: globals.result, supervise });
}
