/**
 * The project's SSH key pair (`.nohead/ssh/id_ed25519`): created on first use with ssh-keygen,
 * its public half handed to every guest at run time as the `nohead.ssh-authorized-keys`
 * credential, so `nohead ssh` logs in without a password and nothing lands in the Nix store.
 */
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { NoheadError } from "@nohead/schema";
import type { Project } from "./project.ts";

export interface SshIdentity {
  privateKey: string;
  publicKey: string;
}

/** The project's key pair, created when missing. */
export function ensureSshIdentity(project: Project): SshIdentity {
  const dir = join(project.stateDir, "ssh");
  const privateKey = join(dir, "id_ed25519");
  const publicKey = `${privateKey}.pub`;
  if (!existsSync(privateKey)) {
    // Made in a private temp dir and renamed into place: two commands starting at once must not
    // both write the same files (ssh-keygen refuses to overwrite, and a mixed pair would not match).
    mkdirSync(project.stateDir, { recursive: true });
    const tmp = mkdtempSync(join(project.stateDir, "ssh.tmp-"));
    try {
      const result = Bun.spawnSync(
        [
          "ssh-keygen",
          "-q",
          "-t",
          "ed25519",
          "-N",
          "",
          "-C",
          `nohead-${project.id}`,
          "-f",
          join(tmp, "id_ed25519"),
        ],
        { stdout: "ignore", stderr: "pipe", stdin: "ignore" },
      );
      if (result.exitCode !== 0) {
        throw new NoheadError(
          "failed",
          `could not create the project's SSH key: ${result.stderr.toString().trim()}`,
          {
            hint: "install the OpenSSH client (ssh-keygen)",
          },
        );
      }
      try {
        renameSync(tmp, dir); // atomic; fails when another command got there first
      } catch (error) {
        if (!existsSync(privateKey)) throw error;
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  return { privateKey, publicKey };
}
