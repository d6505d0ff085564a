/** `nohead logs <vm> [-f] [-n N]`: the VM's serial console log; -f follows it. */
import { openFleet } from "../open-fleet.ts";
import { hostOf } from "../placement.ts";
import type { GlobalOptions } from "../program.ts";

export async function run([name, options]: unknown[], globals: GlobalOptions): Promise<number> {
  const { follow = false, lines = 100 } = options as { follow?: boolean; lines?: number };
  const fleet = openFleet(globals);
  const [vm] = fleet.resolveNames([name as string]);
  for await (const line of hostOf(fleet, vm as string).logs(vm as string, { follow, lines })) {
    process.stdout.write(`${line}\n`);
  }
  return 0;
}
