/** `nohead logs <vm> [-f] [-n N]`: the VM's serial console log; -f follows it. */
import { existsSync, statSync } from "node:fs";
import { consoleTail } from "@nohead/supervisor";
import { notFoundError } from "@nohead/schema";
import { openFleet } from "../open-fleet.ts";
import { remoteHostOf } from "../placement.ts";
import type { GlobalOptions } from "../program.ts";

export async function run([name, options]: unknown[], globals: GlobalOptions): Promise<number> {
  const { follow = false, lines = 100 } = options as { follow?: boolean; lines?: number };
  const fleet = openFleet(globals);
  const [vm] = fleet.resolveNames([name as string]);
  const host = await remoteHostOf(fleet, vm as string);
  if (host) {
    for await (const line of host.logs(vm as string, { follow, lines })) process.stdout.write(`${line}\n`);
    return 0;
  }
  const file = fleet.consoleLog(vm as string);
  if (!existsSync(file))
    throw notFoundError(`${vm} has no console log yet`, `start it with \`nohead run ${vm}\``);
  for (const line of consoleTail(file, lines)) process.stdout.write(`${line}\n`);
  if (!follow) return 0;
  let offset = statSync(file).size;
  for (;;) {
    await Bun.sleep(300);
    const size = existsSync(file) ? statSync(file).size : 0;
    if (size < offset) offset = 0;
    if (size > offset) {
      const text = await Bun.file(file).slice(offset, size).text();
      process.stdout.write(text.replace(/\r/g, ""));
      offset = size;
    }
  }
}
