/** QEMU on PATH and its version (the runners nohead builds with Nix bring their own QEMU). */
import { type DoctorCheck, ok, warn } from "./doctor-check.ts";
import { runProgram } from "./run-program.ts";

/** The QEMU system emulator for this machine's architecture. */
export const QEMU_BINARY = process.arch === "arm64" ? "qemu-system-aarch64" : "qemu-system-x86_64";

export async function qemuCheck(): Promise<DoctorCheck> {
  const result = await runProgram([QEMU_BINARY, "--version"], 5000);
  if (!result.found || result.exitCode !== 0) {
    return warn(
      "qemu",
      `${QEMU_BINARY} is not on PATH${result.found ? ` (exit ${result.exitCode})` : ""}: the KVM probe cannot run; VMs built by nohead still start (their runner names QEMU in the Nix store)`,
      "install QEMU (`nix profile install nixpkgs#qemu`, or your distribution's qemu-system-x86 package), or use `nix develop` in your project",
    );
  }
  const version = result.stdout.split("\n")[0]?.replace(/^QEMU emulator version /, "") ?? "";
  return ok("qemu", `${QEMU_BINARY} ${version}`);
}
