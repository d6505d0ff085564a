/**
 * Who is on the other end of an accepted Unix connection, for servers built on `Bun.listen`:
 * Linux's SO_PEERCRED (the peer's pid, uid and gid when it connected, set by the kernel).
 *
 * Bun (1.4) has no API for it. It does expose a socket's file descriptor (`socket.fd`, missing
 * from its type definitions), and `bun:ffi` can call libc's getsockopt on it. `Bun.serve` gives
 * no access to a request's socket at all, so an HTTP server on a Unix socket cannot check its
 * peer: there the 0700 directory it binds in (./private-directory.ts) is the only guard.
 */
import { dlopen, FFIType, ptr } from "bun:ffi";
import { currentUid } from "./owned-socket.ts";

/** The peer's identity as the kernel recorded it at connect time. */
export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

// <asm-generic/socket.h>: the values on x86-64 and arm64 (other architectures differ).
const SOL_SOCKET = 1;
const SO_PEERCRED = 17;

type GetSockOpt = (fd: number, level: number, name: number, value: number, length: number) => number;
let getsockopt: GetSockOpt | null | undefined;

/** libc's getsockopt, or null where it cannot be loaded or the constants above do not hold. */
function loadGetsockopt(): GetSockOpt | null {
  if (getsockopt !== undefined) return getsockopt;
  getsockopt = null;
  if (process.platform !== "linux" || (process.arch !== "x64" && process.arch !== "arm64")) return null;
  try {
    const libc = dlopen("libc.so.6", {
      getsockopt: {
        args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.ptr],
        returns: FFIType.i32,
      },
    });
    getsockopt = libc.symbols.getsockopt as unknown as GetSockOpt;
  } catch {
    // Not glibc (musl names it differently): no credentials, callers refuse unknown peers.
  }
  return getsockopt;
}

/**
 * The credentials of the peer of `socket` (a socket `Bun.listen({ unix })` accepted), or null
 * when they cannot be read (not Linux x86-64/arm64 with glibc, no file descriptor).
 *
 * @example
 * Bun.listen({ unix: path, socket: { open(socket) { console.log(peerCredentials(socket)?.uid); } } });
 */
export function peerCredentials(socket: object): PeerCredentials | null {
  const fd = (socket as { fd?: unknown }).fd;
  if (typeof fd !== "number" || fd < 0) return null;
  const call = loadGetsockopt();
  if (!call) return null;
  const credentials = new Int32Array(3);
  const length = new Uint32Array([credentials.byteLength]);
  if (call(fd, SOL_SOCKET, SO_PEERCRED, ptr(credentials), ptr(length)) !== 0) return null;
  const [pid = 0, uid = -1, gid = -1] = credentials;
  return { pid, uid, gid };
}

/**
 * Whether the peer of `socket` runs as this user. A peer whose credentials cannot be read is not.
 *
 * @example
 * Bun.listen({ unix: path, socket: { open(socket) { if (!isOwnPeer(socket)) socket.terminate(); }, data() {} } });
 */
export function isOwnPeer(socket: object): boolean {
  return peerCredentials(socket)?.uid === currentUid();
}
