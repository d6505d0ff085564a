/**
 * `nohead ssh <vm> [ssh args…]`: the system's OpenSSH client to the VM's SSH forward as its user,
 * with the project's key; waits for sshd first; host keys never written to known_hosts (every VM
 * boot makes new ones, and ports are reused). A VM on an agent is reached through its host's own
 * SSH (the hosts file's `sshTarget`), where its forward listens.
 */
import type { Host } from "@nohead/hosts";
import { NoheadError, UserName } from "@nohead/schema";
import { ensureSshIdentity, type VmStatus } from "@nohead/supervisor";
import { openFleet } from "../open-fleet.ts";
import { hostOf } from "../placement.ts";
import { splitSshArguments } from "../ssh-arguments.ts";
import type { GlobalOptions } from "../program.ts";

/** Where `ssh` connects: the guest's forward as its host sees it, and how to get there. */
interface SshDestination {
  user: string;
  address: string;
  port: number;
  /** A ProxyCommand through the VM's host, or null to connect directly. */
  proxyCommand: string | null;
}

/**
 * The argv of `ssh` to `user@address:port` with the project's key (through `proxyCommand`, if
 * any). The user's own options come before `--` and the destination, the remote command after:
 * OpenSSH reads no option after `--`, so a destination can never turn into one (a user name of
 * `-oProxyCommand=…` ran a local command before). The user name must be a login name anyway.
 */
export function sshArgv(key: string, destination: SshDestination, extra: string[]): string[] {
  const { user, address, port, proxyCommand } = destination;
  if (!UserName.safeParse(user).success) {
    throw new NoheadError("failed", `the VM's user name ${JSON.stringify(user)} is not a login name`, {
      hint: "its state (or its agent) was written by something other than nohead; start it again from the project",
    });
  }
  const { options, command } = splitSshArguments(extra);
  return [
    "ssh",
    "-i",
    key,
    "-p",
    String(port),
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "LogLevel=ERROR",
    "-o",
    "IdentitiesOnly=yes",
    ...(proxyCommand ? ["-o", `ProxyCommand=${proxyCommand}`] : []),
    ...options,
    "--",
    `${user}@${address}`,
    ...command,
  ];
}

export async function run([name, sshArgs, options]: unknown[], globals: GlobalOptions): Promise<number> {
  const { wait = 60 } = options as { wait?: number };
  const fleet = openFleet(globals);
  const [vm] = fleet.resolveNames([name as string]) as [string];
  const destination = await onHost(hostOf(fleet, vm), vm, wait);
  const key = ensureSshIdentity(fleet.project).privateKey;
  const child = Bun.spawn(sshArgv(key, destination, sshArgs as string[]), {
    stdio: ["inherit", "inherit", "inherit"],
  });
  return await child.exited;
}

function notRunning(vm: string, condition: string): NoheadError {
  return new NoheadError("conflict", `is not running (${condition})`, {
    machine: vm,
    hint: `nohead run ${vm}`,
  });
}

function sshForward(vm: string, status: VmStatus) {
  const forward = status.forwards.find((f) => f.name === "ssh");
  if (!forward) throw new NoheadError("failed", "has no SSH forward", { machine: vm });
  return forward;
}

/**
 * A VM's forward as its host sees it — reached directly on this computer, through the host's SSH
 * (`sshTarget`) on an agent — once the host reports it `ready` (its SSH banner answered there),
 * waiting at most `wait` seconds.
 */
async function onHost(host: Host, vm: string, wait: number): Promise<SshDestination> {
  if (!host.capabilities.ssh) {
    throw new NoheadError(
      "config",
      `runs on host ${host.name}, which has no sshTarget: nohead ssh reaches its guests through the host's SSH`,
      {
        machine: vm,
        hint: `set "sshTarget": "user@host" for ${host.name} in the hosts file (docs/hosts.md), or use \`nohead exec ${vm} -- <command>\``,
      },
    );
  }
  const { sshJumpProxyCommand } = await import("@nohead/hosts");
  const deadline = performance.now() + wait * 1000;
  for (;;) {
    const [status] = await host.status([vm]);
    if (status?.condition !== "running") throw notRunning(vm, status?.condition ?? "unknown");
    if (status.readiness === "ready") {
      const forward = sshForward(vm, status);
      return {
        user: status.username ?? "nixy",
        // The forward's address as the host sees it; one bound to every address is on its loopback too.
        address: forward.hostAddress === "0.0.0.0" ? "127.0.0.1" : forward.hostAddress,
        port: forward.hostPort,
        proxyCommand: host.sshTarget ? sshJumpProxyCommand(host.sshTarget, host.sshOptions) : null,
      };
    }
    if (performance.now() > deadline) {
      throw new NoheadError(
        "failed",
        `is not ready on host ${host.name} after ${wait}s (readiness ${status.readiness ?? "none"})`,
        { machine: vm, hint: `check the console: nohead logs ${vm}` },
      );
    }
    await Bun.sleep(500);
  }
}
