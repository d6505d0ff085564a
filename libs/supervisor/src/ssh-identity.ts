/**
 * The project's SSH key pair (`.nohead/ssh/id_ed25519`): created on first use with ssh-keygen,
 * its public half handed to every guest at run time as the `nohead.ssh-authorized-keys`
 * credential, so `nohead ssh` logs in without a password and nothing lands in the Nix store.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { NoheadError } from "@nohead/schema";
import { ensureStateDir, type Project } from "./project.ts";

export interface SshIdentity {
  privateKey: string;
  publicKey: string;
}

/**
 * Makes an ed25519 key pair without a passphrase at `file` and `file.pub` with ssh-keygen
 * (which refuses to overwrite: `file` must not exist).
 */
export function generateSshKey(file: string, comment: string, what = "an SSH key"): void {
  const result = Bun.spawnSync(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", file], {
    stdout: "ignore",
    stderr: "pipe",
    stdin: "ignore",
  });
  if (result.exitCode !== 0) {
    throw new NoheadError("failed", `could not create ${what}: ${result.stderr.toString().trim()}`, {
      hint: "install the OpenSSH client (ssh-keygen)",
    });
  }
}

/** The project's key pair, created when missing. */
export function ensureSshIdentity(project: Project): SshIdentity {
  const dir = join(project.stateDir, "ssh");
  const privateKey = join(dir, "id_ed25519");
  const publicKey = `${privateKey}.pub`;
  if (!existsSync(privateKey)) {
    // Made in a private temp dir and renamed into place: two commands starting at once must not
    // both write the same files (ssh-keygen refuses to overwrite, and a mixed pair would not match).
    ensureStateDir(project);
    const tmp = mkdtempSync(join(project.stateDir, "ssh.tmp-"));
    try {
      generateSshKey(join(tmp, "id_ed25519"), `nohead-${project.id}`, "the project's SSH key");
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

/** A public key line's type and key (the comment left out): what makes two lines the same key. */
function keyOf(line: string): string {
  return line.trim().split(/\s+/).slice(0, 2).join(" ");
}

/**
 * The file handed to a guest as its `nohead.ssh-authorized-keys` credential: the project's public
 * key file itself, or — when `extraKeys` adds keys it lacks (an agent's clients) — a file in the
 * VM's state dir (`<vmDir>/authorized_keys`) with the project's key and those, one a line.
 *
 * @example
 * authorizedKeysFile(ensureSshIdentity(project), vmPaths(project, "web-1").dir, [clientKey]);
 * // => "/srv/agent/vms/web-1/authorized_keys"
 */
export function authorizedKeysFile(identity: SshIdentity, vmDir: string, extraKeys: string[]): string {
  for (const key of extraKeys) {
    if (/[\r\n\0]/.test(key)) {
      throw new NoheadError("usage", "an authorized SSH key holds a line break; give one key per entry");
    }
  }
  const own = readFileSync(identity.publicKey, "utf8").trim();
  const lines = new Map<string, string>([[keyOf(own), own]]);
  for (const key of extraKeys) if (!lines.has(keyOf(key))) lines.set(keyOf(key), key.trim());
  if (lines.size === 1) return identity.publicKey;
  mkdirSync(vmDir, { recursive: true, mode: 0o700 });
  const file = join(vmDir, "authorized_keys");
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${[...lines.values()].join("\n")}\n`, { mode: 0o600 });
  renameSync(tmp, file);
  return file;
}
