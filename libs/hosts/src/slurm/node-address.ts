/**
 * The IPv4 address of a Slurm node: its `NodeAddr` (`scontrol show node`), resolved. The CLI
 * reaches a pilot job's agent there, and the agent listens there (`--on-slurm-node`): one
 * function, so both sides agree.
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { runSlurmCommand, type SlurmCommandOptions } from "./slurm-command.ts";

/**
 * Slurm's address of `node`, as an IPv4 address (the agents listen on IPv4).
 *
 * @example
 * await slurmNodeAddress("cluster", "n17") // => "10.1.0.17"
 */
export async function slurmNodeAddress(
  host: string,
  node: string,
  options: SlurmCommandOptions = {},
): Promise<string> {
  const text = await runSlurmCommand(host, ["scontrol", "-o", "show", "node", node], options);
  const addr = /(?:^|\s)NodeAddr=(\S+)/.exec(text)?.[1] ?? node;
  return isIP(addr) === 4 ? addr : (await lookup(addr, { family: 4 })).address;
}
