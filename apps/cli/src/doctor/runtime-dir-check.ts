/**
 * The runtime directory of this project's sockets (QMP, guest agent, console): the longest socket
 * path must fit a Unix socket address (107 bytes and a NUL), and the per-user base directory must
 * be yours and closed to others (in /tmp another user could create it first).
 */
import { accessSync, constants, existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { findProject } from "@nohead/supervisor";
import { type DoctorCheck, fail, ok } from "./doctor-check.ts";

/** sun_path holds 108 bytes, the last one a NUL. */
export const MAX_SOCKET_PATH_BYTES = 107;

const SHORTER = "set XDG_RUNTIME_DIR to a short directory that only you can access (e.g. /run/user/$UID)";

export function runtimeDirCheck(
  cwd: string,
  env: Record<string, string | undefined> = process.env,
): DoctorCheck {
  const { runtimeDir } = findProject(cwd, env);
  // vmPaths: <runtimeDir>/<10 hex of the VM's name>/{qmp,qga,console}; "console" is the longest.
  const longest = join(runtimeDir, "0123456789", "console");
  const bytes = Buffer.byteLength(longest);
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    return fail(
      "runtime dir",
      `${runtimeDir}: socket paths would be ${bytes} bytes, over the ${MAX_SOCKET_PATH_BYTES}-byte limit of Unix sockets`,
      SHORTER,
    );
  }
  const base = dirname(runtimeDir);
  if (existsSync(base)) {
    const stat = statSync(base);
    if (stat.uid !== process.getuid?.()) {
      return fail(
        "runtime dir",
        `${base} belongs to uid ${stat.uid}, not to you: it could see or replace your VMs' sockets`,
        `remove it (as its owner or root), or ${SHORTER}`,
      );
    }
    if ((stat.mode & 0o077) !== 0) {
      return fail(
        "runtime dir",
        `${base} is open to other users (mode ${(stat.mode & 0o777).toString(8)})`,
        `\`chmod 700 ${base}\`, or ${SHORTER}`,
      );
    }
    return ok("runtime dir", `${runtimeDir} (${bytes}-byte socket paths, limit ${MAX_SOCKET_PATH_BYTES})`);
  }
  try {
    accessSync(nearestExisting(base), constants.W_OK);
  } catch {
    return fail(
      "runtime dir",
      `${base} does not exist and cannot be created (${nearestExisting(base)} is not writable)`,
      SHORTER,
    );
  }
  return ok(
    "runtime dir",
    `${runtimeDir} (created at the first start; ${bytes}-byte socket paths, limit ${MAX_SOCKET_PATH_BYTES})`,
  );
}

function nearestExisting(path: string): string {
  let dir = path;
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}
