/**
 * KVM: the device node, whether this user may open it, and whether a guest actually runs under
 * it. nohead does not pick the accelerator: the NixOS runner asks QEMU for `accel=kvm:tcg`, so
 * QEMU uses KVM whenever /dev/kvm opens and falls back to TCG (emulation) otherwise.
 */
import { accessSync, constants, existsSync, readFileSync, statSync } from "node:fs";
import { type DoctorCheck, fail, ok, warn } from "./doctor-check.ts";
import { hostKernel, probeGuest } from "./guest-probe.ts";

const NAME = "kvm";
const DEFAULT_DEVICE = "/dev/kvm";

/** How to force TCG when KVM is there but guests hang under it. */
export const FORCE_TCG =
  'force TCG: `nixos-config-virt.virtualisation.qemu.options = [ "-machine accel=tcg" ];` in configs.nix (a later -machine wins), or for one VM `nohead run <vm> -- -machine accel=tcg`; or fix KVM on this host (nested virtualisation, the kvm_intel/kvm_amd module)';

/**
 * Checks `device` (NOHEAD_KVM_DEVICE, default /dev/kvm) and, for /dev/kvm on x86_64, boots the
 * host's kernel under KVM for up to `probeMs` (NOHEAD_KVM_PROBE_MS, default 5000).
 */
export async function kvmCheck(
  qemu: string,
  env: Record<string, string | undefined> = process.env,
): Promise<DoctorCheck> {
  const device = env.NOHEAD_KVM_DEVICE || DEFAULT_DEVICE;
  const probeMs = Number(env.NOHEAD_KVM_PROBE_MS) || 5000;
  if (!existsSync(device)) {
    return warn(
      NAME,
      `${device} does not exist: VMs run under TCG (emulation, several times slower)`,
      "enable virtualisation (VT-x/AMD-V) in the firmware and load kvm_intel or kvm_amd; inside a VM, enable nested virtualisation",
    );
  }
  try {
    accessSync(device, constants.R_OK | constants.W_OK);
  } catch {
    const group = groupName(statSync(device).gid);
    return warn(
      NAME,
      `${device} exists but you may not open it: QEMU falls back to TCG (emulation, several times slower)`,
      `add yourself to the group \`${group}\` (\`sudo usermod -aG ${group} $USER\`), then log in again`,
    );
  }
  if (device !== DEFAULT_DEVICE)
    return ok(NAME, `${device} is usable (guest probe only runs on ${DEFAULT_DEVICE})`);
  if (process.arch !== "x64") return ok(NAME, `${device} is usable (guest probe only on x86_64)`);
  const kernel = hostKernel();
  if (!kernel) {
    return warn(
      NAME,
      `${device} is usable, but no readable host kernel to probe whether guests run under it`,
      "run `nohead doctor` as a user who can read /boot/vmlinuz-*, or watch the first `nohead run` (a guest that never boots under KVM needs TCG)",
    );
  }
  const kvm = await probeGuest({ qemu, kernel, accel: "kvm", deadlineMs: probeMs });
  if (kvm.outcome === "ran")
    return ok(NAME, `${device} is usable; a guest kernel ran under KVM in ${seconds(kvm.ms)}`);
  if (kvm.outcome === "error") {
    return warn(
      NAME,
      `a guest could not start under KVM: ${kvm.message}`,
      `fix what QEMU says, or ${FORCE_TCG}`,
    );
  }
  // Silent under KVM: the same kernel under TCG tells a hanging KVM from an unsuitable kernel.
  const tcg = await probeGuest({ qemu, kernel, accel: "tcg", deadlineMs: 15_000 });
  if (tcg.outcome !== "ran") {
    return warn(
      NAME,
      `the guest probe was inconclusive: ${kernel} printed nothing within ${seconds(probeMs)} under KVM nor under TCG`,
      `watch the first \`nohead run\`; if its guest never boots, ${FORCE_TCG}`,
    );
  }
  return fail(
    NAME,
    `${device} opens but guests hang under KVM: a guest kernel printed nothing in ${seconds(probeMs)} under KVM, and ran in ${seconds(tcg.ms)} under TCG. QEMU picks KVM whenever ${device} opens (the runner asks for accel=kvm:tcg)`,
    FORCE_TCG,
  );
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** The name of group `gid` from /etc/group (the number when it has none). */
function groupName(gid: number): string {
  try {
    const line = readFileSync("/etc/group", "utf8")
      .split("\n")
      .find((l) => l.split(":")[2] === String(gid));
    return line?.split(":")[0] || String(gid);
  } catch {
    return String(gid);
  }
}
