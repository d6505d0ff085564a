/** `nohead supervise --state-dir D` (hidden): the project's supervisor, started by other commands. */
import { runSupervisor } from "@nohead/agent/supervise";
import type { GlobalOptions } from "../program.ts";

export async function run([options]: unknown[], _globals: GlobalOptions): Promise<number> {
  const { stateDir } = options as { stateDir: string };
  return runSupervisor({ stateDir });
}
