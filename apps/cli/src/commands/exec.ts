/**
 * `nohead exec <vm> -- cmd…`: run a command through the guest agent, wherever the VM runs, print
 * its output as it comes (`--json` prints it at the end), exit with its code. A command that does
 * not exist or cannot start exits 127 and one that outlives `--timeout` exits 124 (as a shell and
 * timeout(1) do), each with one line saying so in the unit of the flag.
 */
import pc from "picocolors";
import { openFleet } from "../open-fleet.ts";
import { hostOf } from "../placement.ts";
import type { GlobalOptions } from "../program.ts";

/** Exit codes of a command that could not start, and of one that ran out of time. */
const EXEC_NOT_STARTED = 127;
const EXEC_TIMED_OUT = 124;

export async function run([name, command, options]: unknown[], globals: GlobalOptions): Promise<number> {
  const { json = false, timeout = 60 } = options as { json?: boolean; timeout?: number };
  const argv = command as string[];
  const fleet = openFleet(globals);
  const [vm] = fleet.resolveNames([name as string]) as [string];
  const host = hostOf(fleet, vm);
  if (json) {
    const result = await host.exec(vm, argv, { timeoutMs: timeout * 1000 });
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return result.exitCode ?? 1;
  }
  const end = await host.execStreaming(vm, argv, {
    timeoutMs: timeout * 1000,
    onOutput: (stream, chunk) => (stream === "stdout" ? process.stdout : process.stderr).write(chunk),
  });
  const program = argv.join(" ");
  switch (end.ended) {
    case "exit":
      return end.exitCode ?? 128 + (end.signal ?? 0);
    case "not-started":
      process.stderr.write(
        `${pc.red("error:")} ${pc.bold(vm)}: cannot run \`${program}\` in the guest: ${end.error}\n`,
      );
      return EXEC_NOT_STARTED;
    case "timed-out":
      process.stderr.write(
        `${pc.red("error:")} ${pc.bold(vm)}: \`${program}\` did not finish within ${timeout} s (--timeout ${timeout}); it still runs in the guest${end.pid === null ? "" : ` (pid ${end.pid})`}\n`,
      );
      return EXEC_TIMED_OUT;
  }
}
