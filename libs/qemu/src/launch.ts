/**
 * Starts a runner as its own session (so QEMU outlives the CLI and its worker), with argv and no
 * shell, cwd = the VM's state dir, stdout/stderr to a file (never a pipe: a pipe whose reader
 * died kills QEMU with SIGPIPE), emptied at each launch so what is quoted from it (why QEMU
 * died) comes from this start only. Returns QEMU's pid (the runner execs QEMU).
 *
 * Bun.spawn, not node:child_process: this runs in every VM's worker thread, where node's module
 * costs ~0.8 MiB more. Bun reaps the child while this process lives; a VM that exits after its
 * worker ended may linger as a zombie, which process-identity.ts counts as dead.
 */
import { closeSync, openSync } from "node:fs";
import { NoheadError } from "@nohead/schema/errors";
import { withoutDisplay } from "./display-env.ts";

export interface LaunchedProcess {
  pid: number;
}

/**
 * Spawns `runner args…` detached in `cwd` with `env` added to the current environment — except
 * this process's display variables: a window's display comes in `env`, from the command that
 * asked for it (display-env.ts).
 *
 * @example
 * const { pid } = launchRunner({ runner: "/nix/store/…/bin/run-web-vm", args: ["-display", "none"], env: {}, cwd, logFile });
 */
export function launchRunner({
  name,
  runner,
  args,
  env,
  cwd,
  logFile,
}: {
  name: string;
  runner: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  logFile: string;
}): LaunchedProcess {
  const log = openSync(logFile, "w", 0o600);
  try {
    const child = Bun.spawn([runner, ...args], {
      cwd,
      env: { ...withoutDisplay(process.env), ...env },
      detached: true,
      stdio: ["ignore", log, log],
    });
    child.unref();
    return { pid: child.pid };
  } catch (error) {
    throw new NoheadError("failed", `could not start the runner ${runner}: ${(error as Error).message}`, {
      machine: name,
      hint: "check that the build result is complete (`nohead build` again)",
      cause: error,
    });
  } finally {
    closeSync(log);
  }
}
