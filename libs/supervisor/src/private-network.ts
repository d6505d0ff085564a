/**
 * The project's private network: one UDP multicast group on loopback shared by every VM of the
 * project (QEMU `-netdev socket,mcast=…`, no root needed). Group and port derive from the
 * project id, so two projects never share a network.
 */
import type { Project } from "./project.ts";

/** Multicast group and port of `project`'s private network. */
export function privateNetworkOf(project: Project): { group: string; port: number } {
  const n = Number.parseInt(project.id, 16);
  return {
    group: `239.213.${(n >>> 8) & 0xff}.${n & 0xff}`,
    port: 20000 + ((n >>> 16) % 20000),
  };
}
