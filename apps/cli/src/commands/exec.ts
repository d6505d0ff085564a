/** `nohead exec <vm> -- cmd…`: run a command through the guest agent, print its output, exit with its code. */
import { openFleet } from "../open-fleet.ts";
import { hostOf } from "../placement.ts";
import { usageError } from "@nohead/schema";
import { takeOwnOptions } from "../argv.ts";
import type { GlobalOptions } from "../program.ts";

export async function run([name, command, options]: unknown[], globals: GlobalOptions): Promise<number> {
  const opts = options as { json?: boolean; timeout?: number | string };
  const argv = takeOwnOptions(command as string[], { "--json": "json" }, { "--timeout": "timeout" }, opts);
  const json = opts.json ?? false;
  const timeout = Number(opts.timeout ?? 60);
  if (!Number.isInteger(timeout) || timeout < 1)
    throw usageError(`--timeout: expected a positive integer, got "${opts.timeout}"`);
  const fleet = openFleet(globals);
  const [vm] = fleet.resolveNames([name as string]);
  const result = await hostOf(fleet, vm as string).exec(vm as string, argv, { timeoutMs: timeout * 1000 });
  if (json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return result.exitCode ?? 1;
  }
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  return result.exitCode ?? 128 + (result.signal ?? 0);
}
