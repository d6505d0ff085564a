/** `nohead exec <vm> -- cmd…`: run a command through the guest agent, print its output, exit with its code. */
import { openFleet } from "../open-fleet.ts";
import { remoteHostOf } from "../placement.ts";
import type { GlobalOptions } from "../program.ts";

export async function run([name, command, options]: unknown[], globals: GlobalOptions): Promise<number> {
  const { json = false, timeout = 60 } = options as { json?: boolean; timeout?: number };
  const argv = command as string[];
  const fleet = openFleet(globals);
  const [vm] = fleet.resolveNames([name as string]);
  const host = await remoteHostOf(fleet, vm as string);
  const result = host
    ? await host.exec(vm as string, argv, { timeoutMs: timeout * 1000 })
    : await fleet.exec(vm as string, argv, { timeoutMs: timeout * 1000 });
  if (json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return result.exitCode ?? 1;
  }
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  return result.exitCode ?? 128 + (result.signal ?? 0);
}
