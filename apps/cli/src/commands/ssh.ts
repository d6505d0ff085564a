/**
 * `nohead ssh <vm> [ssh args…]`: the system's OpenSSH client to the VM's SSH forward as its user,
 * with the project's key; waits for sshd first; host keys never written to known_hosts (every VM
 * boot makes new ones, and ports are reused).
 */
import { NoheadError } from "@nohead/schema";
import { probeSshBanner } from "@nohead/qemu";
import { ensureSshIdentity, vmStatus } from "@nohead/supervisor";
import { withoutSeparator } from "../argv.ts";
import { openFleet } from "../open-fleet.ts";
import { remoteHostOf } from "../placement.ts";
import type { GlobalOptions } from "../program.ts";

/** The argv of `ssh` to `user@address:port` with the project's key. */
export function sshArgv(key: string, user: string, address: string, port: number, extra: string[]): string[] {
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
    `${user}@${address}`,
    ...extra,
  ];
}

export async function run([name, sshArgs, options]: unknown[], globals: GlobalOptions): Promise<number> {
  const { wait = 60 } = options as { wait?: number };
  const fleet = openFleet(globals);
  const [vm] = fleet.resolveNames([name as string]);
  const host = await remoteHostOf(fleet, vm as string);
  if (host && !host.capabilities.ssh) {
    throw new NoheadError(
      "failed",
      `runs on host ${host.name}, whose forwarded ports this computer cannot reach`,
      {
        machine: vm,
        hint: `use \`nohead exec ${vm} -- <command>\` (through the guest agent), or ssh to ${host.name} and use nohead there`,
      },
    );
  }
  const status = vmStatus(fleet.project, vm as string);
  if (status.condition !== "running") {
    throw new NoheadError("conflict", `is not running (${status.condition})`, {
      machine: vm,
      hint: `nohead run ${vm}`,
    });
  }
  const forward = status.forwards.find((f) => f.name === "ssh");
  if (!forward) throw new NoheadError("failed", "has no SSH forward", { machine: vm });
  const deadline = performance.now() + wait * 1000;
  for (;;) {
    const probe = await probeSshBanner(forward.hostAddress, forward.hostPort, 3000);
    if (probe.ok) break;
    if (performance.now() > deadline) {
      throw new NoheadError(
        "failed",
        `sshd did not answer on ${forward.hostAddress}:${forward.hostPort} within ${wait}s (${probe.detail})`,
        {
          machine: vm,
          hint: `check the console: nohead logs ${vm}`,
        },
      );
    }
    await Bun.sleep(500);
  }
  const key = ensureSshIdentity(fleet.project).privateKey;
  const child = Bun.spawn(
    sshArgv(
      key,
      status.username ?? "nixy",
      forward.hostAddress,
      forward.hostPort,
      withoutSeparator(sshArgs as string[]),
    ),
    {
      stdio: ["inherit", "inherit", "inherit"],
    },
  );
  return await child.exited;
}
