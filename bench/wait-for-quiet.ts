/**
 * Waits, for a bounded time, until no other QEMU runs on the machine (other test suites booting
 * VMs on the same 2 cores would slow one side of a comparison and not the other), so runtime
 * rounds start on a machine as quiet as it gets. Says how it ended; never waits unbounded.
 */
import { loadavg } from "node:os";
import { countForeignQemu } from "./qemu-reaper.ts";

export interface Quietness {
  quiet: boolean;
  waitedMs: number;
  /** Other QEMU processes running when the wait ended. */
  foreignQemu: number;
  loadAverage: number;
}

/**
 * Polls every second until no QEMU runs but the benchmark's own (those under `ownDir`), or
 * `timeoutMs` passed.
 *
 * @example
 * const q = await waitForQuiet(120_000, "/tmp/nohead-bench-rt-x");
 * if (!q.quiet) console.warn(`${q.foreignQemu} other QEMUs still running after ${q.waitedMs} ms`);
 */
export async function waitForQuiet(timeoutMs: number, ownDir?: string): Promise<Quietness> {
  const started = performance.now();
  for (;;) {
    const foreignQemu = countForeignQemu(ownDir);
    const waitedMs = performance.now() - started;
    if (foreignQemu === 0 || waitedMs >= timeoutMs) {
      return { quiet: foreignQemu === 0, waitedMs, foreignQemu, loadAverage: loadavg()[0] ?? 0 };
    }
    await Bun.sleep(1000);
  }
}
