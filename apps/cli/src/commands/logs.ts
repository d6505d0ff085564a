/**
 * `nohead logs <vm> [-f] [-n N]`: the VM's serial console log, without terminal control
 * sequences, from wherever it runs; -f follows it until the VM stops (then prints what is left
 * and exits 0).
 */
import { openFleet } from "../open-fleet.ts";
import { hostOf } from "../placement.ts";
import type { GlobalOptions } from "../program.ts";

/** How often the VM is asked whether it still runs, and how long its last lines get. */
const STATUS_POLL_MS = 1000;
const LAST_LINES_MS = 1000;

/** Aborts `controller` once the VM no longer runs (the host's stream follows until told to stop). */
async function endWhenStopped(
  status: () => Promise<{ condition: string }[]>,
  controller: AbortController,
): Promise<void> {
  while (!controller.signal.aborted) {
    await Bun.sleep(STATUS_POLL_MS);
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
  const host = hostOf(fleet, vm);
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
