/**
 * Directories only this user can use: where nohead keeps VM state, disks and keys, and where
 * QEMU's control sockets live. Another local user who can make, swap or write into one of them
 * can capture or impersonate a VM's sockets (fake stop and exec answers) or read its disk, so
 * every such directory is created mode 0700 and proved before use: a real directory (not a
 * symbolic link, checked with lstat), owned by this user, that nobody else can write to, in a
 * parent that nobody else can rename it out of. A directory of ours that others may only read
 * (made by an older nohead under umask 022) is tightened to 0700 rather than refused: nobody
 * else could have put anything in it. Group write is fine when the group is the user's own
 * private group (only the user in it: the default on Debian, Ubuntu and Fedora, where umask 002
 * makes every directory group-writable), as Debian's OpenSSH allows for `~/.ssh`.
 *
 * docs/security.md explains the threat; the per-project supervisor's socket relies on this too.
 */
import { chmodSync, lstatSync, mkdirSync, readFileSync, type Stats, statSync } from "node:fs";
import { userInfo } from "node:os";
import { dirname } from "node:path";
import { NoheadError } from "@nohead/schema/errors";
import { currentUid } from "./owned-socket.ts";

/**
 * Whether group `gid` is this user's private group: the user's primary group, with no member
 * but the user in /etc/group (a group nohead cannot find there is not private).
 */
function isOwnPrivateGroup(gid: number): boolean {
  if (gid !== process.getgid?.()) return false;
  let groups: string;
  try {
    groups = readFileSync("/etc/group", "utf8");
  } catch {
    return false;
  }
  const me = userInfo().username;
  for (const line of groups.split("\n")) {
    const [, , id, members = ""] = line.split(":");
    if (id !== undefined && id !== "" && Number(id) === gid) {
      return members.split(",").every((member) => member === "" || member === me);
    }
  }
  return false;
}

/**
 * Whether users other than this one can create, rename or delete entries in a directory with
 * these `stats`: it is writable by others, or by a group that is not the user's private group.
 *
 * @example
 * writableByOthers(statSync("/tmp")) // => true (sticky or not: check `mode & 0o1000` for that)
 */
export function writableByOthers(stats: Stats): boolean {
  if ((stats.mode & 0o002) !== 0) return true;
  return (stats.mode & 0o020) !== 0 && !isOwnPrivateGroup(stats.gid);
}

function unsafe(message: string, hint: string, cause?: unknown): NoheadError {
  return new NoheadError("config", message, { hint, cause });
}

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, "0");
}

/** Options of {@link ensurePrivateDirectory} and {@link assertPrivateDirectory}. */
export interface PrivateDirectoryOptions {
  /** Another way out, added to the hint when the directory is not ours ("set XDG_RUNTIME_DIR …"). */
  alternative?: string;
  /** The error that made the check necessary (a failed mkdir), kept as the cause. */
  cause?: unknown;
}

/**
 * Creates `dir` (and missing parents) mode 0700 when missing, then checks it as
 * {@link assertPrivateDirectory} does. `what` names it in errors ("the runtime directory").
 *
 * @example
 * ensurePrivateDirectory("/tmp/nohead-1000", "the runtime directory");
 * // throws NoheadError("config") when another user made /tmp/nohead-1000 first
 */
export function ensurePrivateDirectory(
  dir: string,
  what: string,
  options: PrivateDirectoryOptions = {},
): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    assertPrivateDirectory(dir, what, options);
  } catch (error) {
    // A dangling symbolic link or a file in the way fails mkdir: the check says what is wrong.
    if (error instanceof NoheadError) throw error;
    assertPrivateDirectory(dir, what, { ...options, cause: error });
    throw error;
  }
}

/**
 * Throws a `config` {@link NoheadError} naming `dir` and the fix unless `dir` is a directory
 * (not a symbolic link) owned by this user that group and others cannot write to, in a parent
 * owned by this user or root that others cannot write to (or that is sticky, like /tmp).
 * Group/other read and search bits are removed.
 */
export function assertPrivateDirectory(
  dir: string,
  what: string,
  options: PrivateDirectoryOptions = {},
): void {
  const { alternative, cause } = options;
  const uid = currentUid();
  let stats: Stats;
  try {
    stats = lstatSync(dir);
  } catch (error) {
    throw unsafe(
      `${what} ${dir} cannot be used: ${(error as Error).message}`,
      "check its parent; `nohead doctor` checks the state and runtime directories",
      cause ?? error,
    );
  }
  const fix = `remove ${dir} (as its owner or root) and run again; nohead creates it mode 0700`;
  if (stats.isSymbolicLink()) {
    throw unsafe(`${what} ${dir} is a symbolic link; nohead uses only a real directory it owns`, fix, cause);
  }
  if (!stats.isDirectory()) throw unsafe(`${what} ${dir} is not a directory`, fix, cause);
  if (stats.uid !== uid) {
    throw unsafe(
      `${what} ${dir} belongs to uid ${stats.uid}, not to you (uid ${uid}): another user may have made it to take over your VMs' sockets or files`,
      alternative ? `${fix}, or ${alternative}` : fix,
      cause,
    );
  }
  if (writableByOthers(stats)) {
    throw unsafe(
      `${what} ${dir} can be written by other users (mode ${octal(stats.mode)}): someone may have put something in it`,
      `check its contents, then \`chmod 700 ${dir}\` (or remove it and run again)`,
      cause,
    );
  }
  assertTrustedParent(dir, what, cause);
  if ((stats.mode & 0o077) !== 0) chmodSync(dir, stats.mode & 0o700);
}

/** The parent of `dir` must not let anyone else rename or replace `dir`. */
function assertTrustedParent(dir: string, what: string, cause: unknown): void {
  const parent = dirname(dir);
  if (parent === dir) return;
  const stats = statSync(parent);
  const uid = currentUid();
  if (stats.uid !== uid && stats.uid !== 0) {
    throw unsafe(
      `${what} ${dir} is in ${parent}, which belongs to uid ${stats.uid}: that user could replace it`,
      "keep nohead's directories in a directory of yours",
      cause,
    );
  }
  const sticky = (stats.mode & 0o1000) !== 0;
  if (writableByOthers(stats) && !sticky) {
    throw unsafe(
      `${what} ${dir} is in ${parent}, which other users can write to (mode ${octal(stats.mode)}): they could replace it`,
      `\`chmod go-w ${parent}\`, or keep nohead's directories elsewhere (NOHEAD_STATE_DIR, XDG_RUNTIME_DIR)`,
      cause,
    );
  }
}
