/**
 * The TCP ports a Linux guest listens on, read from /proc/net/tcp and /proc/net/tcp6: every
 * Linux has them, whereas `nc`/`ss` may be missing from a minimal NixOS system.
 */

/** The command that prints the guest's TCP socket tables (IPv6 may be absent). */
export const LISTENING_PORTS_COMMAND = "cat /proc/net/tcp /proc/net/tcp6 2>/dev/null";

const LISTEN = "0A";

/**
 * The ports of the sockets in state LISTEN in /proc/net/tcp{,6} text, sorted, each once.
 *
 * @example
 * listeningPorts("  0: 00000000:0016 00000000:0000 0A ...") // => [22]
 */
export function listeningPorts(procNetTcp: string): number[] {
  const ports = new Set<number>();
  for (const line of procNetTcp.split("\n")) {
    const fields = line.trim().split(/\s+/);
    // sl local_address rem_address st …; local_address is ADDR:PORT in hex.
    const local = fields[1];
    if (fields[3] !== LISTEN || !local?.includes(":")) continue;
    const port = Number.parseInt(local.slice(local.lastIndexOf(":") + 1), 16);
    if (Number.isInteger(port)) ports.add(port);
  }
  return [...ports].sort((a, b) => a - b);
}
