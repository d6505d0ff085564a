/** `nohead runall [-- qemu args…]`: start every machine of the build (dependencies first) and wait until ready. */
import type { GlobalOptions } from "../program.ts";
import { type RunOptions, startAndReport } from "./run.ts";

export async function run([qemuArgs, options]: unknown[], globals: GlobalOptions): Promise<number> {
  return startAndReport(globals, undefined, options as RunOptions, qemuArgs as string[]);
}
