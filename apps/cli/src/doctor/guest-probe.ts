/**
 * Whether a guest actually runs under an accelerator: boots the host's own Linux kernel in QEMU
 * (no disk, 128 MiB, serial on stdout) and waits, up to a deadline, for the kernel's first line.
 * On some hosts /dev/kvm opens but guests hang under KVM; this finds out in seconds, and QEMU is
 * killed whatever happens.
 */
import { accessSync, constants, readdirSync } from "node:fs";
import { release } from "node:os";

export interface ProbeResult {
  /** "ran": the kernel printed; "silent": nothing before the deadline; "error": QEMU failed. */
  outcome: "ran" | "silent" | "error";
  /** Time to the kernel's first line, or how long it waited. */
  ms: number;
  /** QEMU's last stderr line when it failed. */
  message: string;
}

/** A readable host kernel to boot: the booted one (NixOS, then /boot's names), else any in /boot. */
export function hostKernel(): string | undefined {
  let installed: string[] = [];
  try {
    installed = readdirSync("/boot")
      .filter((f) => f.startsWith("vmlinuz-"))
      .sort()
      .reverse()
      .map((f) => `/boot/${f}`);
  } catch {
    // No /boot: only the booted system's kernel can be used.
  }
  const candidates = [
    "/run/booted-system/kernel",
    `/boot/vmlinuz-${release()}`,
    "/boot/vmlinuz",
    ...installed,
  ];
  return candidates.find((file) => {
    try {
      accessSync(file, constants.R_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Boots `kernel` with `qemu` under `accel` ("kvm" or "tcg") and reports whether it printed
 * "Linux version" within `deadlineMs`.
 *
 * @example
 * const r = await probeGuest({ qemu: "qemu-system-x86_64", kernel: "/boot/vmlinuz-6.1.0", accel: "kvm", deadlineMs: 5000 });
 * // r.outcome === "ran" on a host where KVM works
 */
export async function probeGuest({
  qemu,
  kernel,
  accel,
  deadlineMs,
}: {
  qemu: string;
  kernel: string;
  accel: "kvm" | "tcg";
  deadlineMs: number;
}): Promise<ProbeResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let child: Bun.Subprocess<"ignore", "pipe", "pipe">;
  try {
    child = Bun.spawn(
      [
        qemu,
        ...["-machine", `accel=${accel}`, "-nodefaults", "-display", "none", "-no-reboot", "-m", "128"],
        ...["-kernel", kernel, "-append", "console=ttyS0 panic=-1", "-serial", "stdio"],
      ],
      { stdin: "ignore", stdout: "pipe", stderr: "pipe" },
    );
  } catch (error) {
    return { outcome: "error", ms: elapsed(), message: (error as Error).message };
  }
  const deadline = setTimeout(() => child.kill("SIGKILL"), deadlineMs);
  try {
    let output = "";
    const decoder = new TextDecoder();
    for await (const chunk of child.stdout) {
      output += decoder.decode(chunk, { stream: true });
      if (output.includes("Linux version")) return { outcome: "ran", ms: elapsed(), message: "" };
    }
    const stderr = (await new Response(child.stderr).text()).trim();
    await child.exited;
    if (child.signalCode === "SIGKILL") return { outcome: "silent", ms: elapsed(), message: "" };
    return { outcome: "error", ms: elapsed(), message: stderr.split("\n").at(-1) ?? "QEMU exited" };
  } finally {
    clearTimeout(deadline);
    child.kill("SIGKILL");
    await child.exited;
  }
}
