/**
 * `nohead doctor [--json]`: checks this host for what nohead needs — KVM (and whether a guest
 * runs under it), QEMU, Nix and its features, nixpkgs for `build -f`, the runtime directory for
 * sockets, the OpenSSH client, free disk, the hosts file and each host — one line each, with the
 * fix. Exits 1 when a check fails, 0 otherwise (warnings included).
 */
import pc from "picocolors";
import type { CheckStatus, DoctorCheck } from "../doctor/doctor-check.ts";
import { diskCheck } from "../doctor/disk-check.ts";
import { hostsChecks } from "../doctor/hosts-check.ts";
import { kvmCheck } from "../doctor/kvm-check.ts";
import { nixCheck } from "../doctor/nix-check.ts";
import { nixpkgsCheck } from "../doctor/nixpkgs-check.ts";
import { QEMU_BINARY, qemuCheck } from "../doctor/qemu-check.ts";
import { runtimeDirCheck } from "../doctor/runtime-dir-check.ts";
import { sshCheck } from "../doctor/ssh-check.ts";

const COLOUR: Record<CheckStatus, (text: string) => string> = { ok: pc.green, warn: pc.yellow, fail: pc.red };

export async function run([options]: unknown[]): Promise<number> {
  const { json = false } = options as { json?: boolean };
  const cwd = process.cwd();
  // Independent checks run at once: the slowest (the KVM probe, at most a few seconds) sets the time.
  const checks: DoctorCheck[] = (
    await Promise.all([
      kvmCheck(QEMU_BINARY).then((c) => [c]),
      qemuCheck().then((c) => [c]),
      nixCheck().then((c) => [c]),
      nixpkgsCheck(cwd).then((c) => [c]),
      [runtimeDirCheck(cwd)],
      sshCheck().then((c) => [c]),
      [diskCheck(cwd)],
      hostsChecks(cwd),
    ])
  ).flat();
  const failed = checks.some((c) => c.status === "fail");
  if (json) {
    process.stdout.write(`${JSON.stringify({ ok: !failed, checks }, null, 2)}\n`);
  } else {
    const width = Math.max(...checks.map((c) => c.name.length));
    for (const check of checks) {
      process.stdout.write(
        `${COLOUR[check.status](check.status.padEnd(4))}  ${check.name.padEnd(width)}  ${check.detail}\n`,
      );
      if (check.fix) process.stdout.write(`${" ".repeat(width + 8)}${pc.dim("fix:")} ${check.fix}\n`);
    }
  }
  return failed ? 1 : 0;
}
