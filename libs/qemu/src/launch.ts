/**
 * Starts a runner as its own session (so QEMU outlives the CLI and its worker), with argv and no
 * shell, cwd = the VM's state dir, stdout/stderr to a file (never a pipe: a pipe whose reader
 * died kills QEMU with SIGPIPE). Returns QEMU's pid and start time (the runner execs QEMU).
 */
import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { NoheadError } from "@nohead/schema/errors";

export interface LaunchedProcess {
  pid: number;
}

/**
 * Spawns `runner args…` detached in `cwd` with `env` added to the current environment.
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
  const log = openSync(logFile, "a", 0o600);
  try {
    const child = spawn(runner, args, {
      cwd,
      env: { ...process.env, ...env },
      detached: true,
      stdio: ["ignore", log, log],
    });
    if (child.pid === undefined) {
      throw new NoheadError("failed", `could not start the runner ${runner}`, {
        machine: name,
        hint: "check that the build result is complete (`nohead build` again)",
      });
    }
    child.unref();
    // Reap it if it exits while we live, so it never lingers as a zombie.
    child.on("error", () => undefined);
    return { pid: child.pid };
  } finally {
    closeSync(log);
  }
}
