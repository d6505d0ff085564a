/**
 * `nohead logs <vm> [-f] [-n N]`: the VM's serial console log, without terminal control
 * sequences; -f follows it until the VM stops (then prints what is left and exits 0), here or on
 * its host.
 */
import { existsSync, statSync } from "node:fs";
import { notFoundError } from "@nohead/schema";
import { consoleTail, stripTerminalControls } from "@nohead/supervisor";
import { openFleet } from "../open-fleet.ts";
import { remoteHostOf } from "../placement.ts";
import type { GlobalOptions } from "../program.ts";

const POLL_MS = 300;
/** How often a VM on a host is asked whether it still runs, and how long its last lines get. */
const HOST_POLL_MS = 2000;
const LAST_LINES_MS = 1000;

/** Aborts `controller` once the VM no longer runs (the agent's stream follows until told to stop). */
async function endWhenStopped(
  status: () => Promise<{ condition: string }[]>,
  controller: AbortController,
): Promise<void> {
  while (!controller.signal.aborted) {
    await Bun.sleep(HOST_POLL_MS);
    const running = await status().then(
      (s) => s[0]?.condition === "running",
      () => true, // a host that does not answer for a moment is asked again
    );
    if (!running) {
      await Bun.sleep(LAST_LINES_MS);
      controller.abort();
    }
  }
}

export async function run([name, options]: unknown[], globals: GlobalOptions): Promise<number> {
  const { follow = false, lines = 100 } = options as { follow?: boolean; lines?: number };
  const fleet = openFleet(globals);
  const [vm] = fleet.resolveNames([name as string]) as [string];
  const host = await remoteHostOf(fleet, vm);
  if (host) {
    const stopped = new AbortController();
    const watching = follow ? endWhenStopped(() => host.status([vm]), stopped) : undefined;
    try {
      for await (const line of host.logs(vm, { follow, lines, signal: stopped.signal }))
        process.stdout.write(`${line}\n`);
    } finally {
      stopped.abort();
      await watching;
    }
    return 0;
  }
  const file = fleet.consoleLog(vm);
  if (!existsSync(file))
    throw notFoundError(`${vm} has no console log yet`, `start it with \`nohead run ${vm}\``);
  for (const line of consoleTail(file, lines)) process.stdout.write(`${line}\n`);
  if (!follow) return 0;
  let offset = statSync(file).size;
  let partial = "";
  for (;;) {
    // Whether it still runs is read before the file, so the last lines before a stop are printed.
    const running = fleet.status([vm])[0]?.condition === "running";
    const size = existsSync(file) ? statSync(file).size : 0;
    if (size < offset) offset = 0;
    if (size > offset) {
      const text = partial + stripTerminalControls(await Bun.file(file).slice(offset, size).text());
      offset = size;
      const parts = text.split("\n");
      partial = parts.pop() ?? "";
      for (const line of parts) process.stdout.write(`${line}\n`);
    }
    if (!running) {
      if (partial) process.stdout.write(`${partial}\n`);
      return 0;
    }
    await Bun.sleep(POLL_MS);
  }
}
