/** The OpenSSH client, which `nohead ssh` runs (exec and everything else work without it). */
import { type DoctorCheck, ok, warn } from "./doctor-check.ts";
import { runProgram } from "./run-program.ts";

export async function sshCheck(): Promise<DoctorCheck> {
  const result = await runProgram(["ssh", "-V"], 5000);
  if (!result.found) {
    return warn(
      "ssh",
      "ssh (OpenSSH) is not on PATH: `nohead ssh` and nix-copy hosts need it; `nohead exec` works without",
      "install OpenSSH (`nix profile install nixpkgs#openssh`, or your distribution's openssh-client)",
    );
  }
  return ok("ssh", (result.stderr || result.stdout).trim().split("\n")[0] ?? "ssh");
}
