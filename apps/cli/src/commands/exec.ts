/**
 * `nohead exec <vm> -- cmd…`: run a command through the guest agent, print its output as it comes
 * (VMs on this computer; `--json` and VMs on hosts print it at the end), exit with its code. A
 * command that does not exist or cannot start exits 127 and one that outlives `--timeout` exits
 * 124 (as a shell and timeout(1) do), each with one line saying so in the unit of the flag.
 */
import { GuestExecError } from "@nohead/qemu";
import pc from "picocolors";
import { openFleet } from "../open-fleet.ts";
import { remoteHostOf } from "../placement.ts";
import type { GlobalOptions } from "../program.ts";

/** Exit codes of a command that could not start, and of one that ran out of time. */
const EXEC_NOT_STARTED = 127;
const EXEC_TIMED_OUT = 124;

export async function run([name, command, options]: unknown[], globals: GlobalOptions): Promise<number> {
  const { json = false, timeout = 60 } = options as { json?: boolean; timeout?: number };
  const argv = command as string[];
  const fleet = openFleet(globals);
  const [vm] = fleet.resolveNames([name as string]) as [string];
  const host = await remoteHostOf(fleet, vm);
  let result: Awaited<ReturnType<typeof fleet.exec>>;
  try {
    if (!host && !json) {
      const exit = await fleet.execStreaming(vm, argv, {
        timeoutMs: timeout * 1000,
        onOutput: (stream, chunk) => (stream === "stdout" ? process.stdout : process.stderr).write(chunk),
      });
      return exit.exitCode ?? 128 + (exit.signal ?? 0);
    }
    result = host
      ? await host.exec(vm, argv, { timeoutMs: timeout * 1000 })
      : await fleet.exec(vm, argv, { timeoutMs: timeout * 1000 });
  } catch (error) {
    if (!(error instanceof GuestExecError)) throw error;
    const program = argv.join(" ");
    if (error.reason === "start-failed") {
      const why =
        error.cause instanceof Error && "desc" in error.cause ? String(error.cause.desc) : error.message;
      process.stderr.write(
        `${pc.red("error:")} ${pc.bold(vm)}: cannot run \`${program}\` in the guest: ${why}\n`,
      );
      return EXEC_NOT_STARTED;
    }
    process.stderr.write(
      `${pc.red("error:")} ${pc.bold(vm)}: \`${program}\` did not finish within ${timeout} s (--timeout ${timeout}); it still runs in the guest (pid ${error.pid})\n`,
    );
    return EXEC_TIMED_OUT;
  }
  if (json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return result.exitCode ?? 1;
  }
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  return result.exitCode ?? 128 + (result.signal ?? 0);
}
