/**
 * Reads the host forwards QEMU actually bound out of HMP `info usernet`. A rule
 * `hostfwd=tcp:127.0.0.1:0-:22` lets QEMU pick a free host port itself (no race with other
 * programs); this table is the only place that says which port it picked.
 *
 * QEMU 7.2 (libslirp) prints, per user-mode netdev:
 * ```
 * Hub -1 (user.0):
 *   Protocol[State]    FD  Source Address  Port   Dest. Address  Port RecvQ SendQ
 *   TCP[HOST_FORWARD]  11       127.0.0.1 37969       10.0.2.15    22     0     0
 *   UDP[HOST_FORWARD]   8               * 39082       10.0.2.15    53     0     0
 * ```
 * `*` is the any-address (the rule had an empty host address).
 */

/** A host forward QEMU has bound. */
export interface BoundHostForward {
  protocol: "tcp" | "udp";
  /** The bound host address; `0.0.0.0` when the rule left it empty (all interfaces). */
  hostAddress: string;
  hostPort: number;
  guestAddress: string;
  guestPort: number;
  /** The netdev id from the table's `Hub … (id):` header, or null if the header is missing. */
  netdev: string | null;
}

const HUB_HEADER = /^Hub\s+-?\d+\s+\((?<netdev>[^)]*)\):/;
const FORWARD_ROW =
  /^\s*(?<protocol>TCP|UDP)\[HOST_FORWARD\]\s+-?\d+\s+(?<hostAddress>\S+)\s+(?<hostPort>\d+)\s+(?<guestAddress>\S+)\s+(?<guestPort>\d+)\s/;

/**
 * Parses `info usernet` output; rows other than host forwards (live connections) are skipped.
 *
 * @example
 * ```ts
 * parseUsernetForwards("Hub -1 (n0):\r\n  TCP[HOST_FORWARD]  11  127.0.0.1 37969  10.0.2.15  22  0  0\r\n");
 * // [{ protocol: "tcp", hostAddress: "127.0.0.1", hostPort: 37969, guestAddress: "10.0.2.15", guestPort: 22, netdev: "n0" }]
 * ```
 */
export function parseUsernetForwards(text: string): BoundHostForward[] {
  const forwards: BoundHostForward[] = [];
  let netdev: string | null = null;
  for (const line of text.split(/\r?\n/)) {
    const hub = HUB_HEADER.exec(line);
    if (hub?.groups) {
      netdev = hub.groups.netdev ?? null;
      continue;
    }
    const row = FORWARD_ROW.exec(`${line} `);
    const g = row?.groups;
    if (!g?.protocol || !g.hostAddress || !g.hostPort || !g.guestAddress || !g.guestPort) continue;
    forwards.push({
      protocol: g.protocol === "TCP" ? "tcp" : "udp",
      hostAddress: g.hostAddress === "*" ? "0.0.0.0" : g.hostAddress,
      hostPort: Number(g.hostPort),
      guestAddress: g.guestAddress,
      guestPort: Number(g.guestPort),
      netdev,
    });
  }
  return forwards;
}
