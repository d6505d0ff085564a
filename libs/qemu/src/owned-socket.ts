/**
 * Unix sockets of this user only. A client checks that the socket it is about to talk to is a
 * socket this user owns (lstat: a symbolic link is refused), so another user's socket planted
 * where a VM's QMP or guest-agent socket should be is never trusted with a command. A server
 * binds with umask 077 inside a private directory (./private-directory.ts), and removes a stale
 * socket only when it is one of ours.
 *
 * Who connected can be checked only on sockets `Bun.listen` accepted (./peer-credentials.ts reads
 * SO_PEERCRED through bun:ffi); `Bun.serve` gives no access to a request's socket, so an HTTP
 * server's guard is the 0700 directory it binds in.
 */
import { lstatSync, type Stats, unlinkSync } from "node:fs";
import { NoheadError } from "@nohead/schema/errors";

/** This process's user id (0 where the platform has none). */
export function currentUid(): number {
  return process.getuid?.() ?? 0;
}

/**
 * Why the socket at `path` must not be trusted, or null when it is a socket of this user or
 * does not exist (connecting then fails on its own, as "no socket").
 *
 * @example
 * socketTrustProblem("/run/user/1000/nohead/ab12cd34/5f0e/qmp") // => null
 * socketTrustProblem("/tmp/planted") // => "it belongs to uid 1001, not to you (uid 1000)"
 */
export function socketTrustProblem(path: string): string | null {
  let stats: Stats;
  try {
    stats = lstatSync(path);
  } catch {
    return null;
  }
  if (stats.isSymbolicLink()) return "it is a symbolic link, not a socket";
  if (!stats.isSocket()) return "it is not a socket";
  const uid = currentUid();
  if (stats.uid !== uid) return `it belongs to uid ${stats.uid}, not to you (uid ${uid})`;
  return null;
}

/**
 * Throws a `failed` {@link NoheadError} unless `path` is a socket of this user (a missing one
 * passes: connecting reports it). For clients that connect by other means than the QMP and
 * guest-agent clients, which check by themselves.
 *
 * @example
 * assertOwnedSocket(paths.console, "the console socket of web-1");
 * const socket = connect(paths.console);
 */
export function assertOwnedSocket(path: string, what: string): void {
  const problem = socketTrustProblem(path);
  if (problem) {
    throw new NoheadError("failed", `refusing ${what} ${path}: ${problem}`, {
      hint: "another user may be impersonating it; remove it and find out who made it",
    });
  }
}

/**
 * Removes a socket left behind at `path` by a server of ours that died; true when one was
 * removed. Anything else there — another user's socket, a file, a link — is left alone and
 * refused with a `conflict` {@link NoheadError}.
 *
 * @example
 * removeStaleSocket(join(runtimeDir, "supervisor.sock"));
 * Bun.serve({ unix: join(runtimeDir, "supervisor.sock"), fetch });
 */
export function removeStaleSocket(path: string): boolean {
  try {
    lstatSync(path);
  } catch {
    return false;
  }
  const problem = socketTrustProblem(path);
  if (problem) {
    throw new NoheadError("conflict", `${path} is not a socket of yours (${problem}); leaving it alone`, {
      hint: `look at it (ls -l ${path}), find out who made it, and remove it yourself if it is stale`,
    });
  }
  unlinkSync(path);
  return true;
}

/**
 * Runs `bind` (a `Bun.serve({ unix })`, `Bun.listen({ unix })`) with umask 077, so the socket is
 * created mode 0700 with no window where another user could connect. The umask is per process:
 * files other threads create meanwhile are private too, which does no harm.
 *
 * @example
 * const server = bindPrivately(() => Bun.serve({ unix: path, fetch }));
 */
export function bindPrivately<T>(bind: () => T): T {
  const previous = process.umask(0o077);
  try {
    return bind();
  } finally {
    process.umask(previous);
  }
}
