/**
 * `nohead agent serve` runs the agent (VMs on this machine for nohead CLIs elsewhere, over an
 * authenticated HTTP API, with a status page); `nohead agent token` makes the token it needs.
 */
import { runAgentUntilSignal, type ServeAgentOptions } from "@nohead/agent";
import { createTokenFile, defaultTokenFile } from "@nohead/hosts";
import type { GlobalOptions } from "../program.ts";

export interface ServeOptions {
  listen?: string;
  tokenFile?: string;
  stateDir?: string;
  tlsCert?: string;
  tlsKey?: string;
  insecure?: boolean;
  allowQemuArgs?: boolean;
  storeDir?: string;
  onlyTrustedRunners?: boolean;
  trustedPublicKey?: string[];
  allowFlake?: string[];
  allowForwardAddress?: string[];
  maxMachines?: number;
  allowHost?: string[];
  readyFile?: string;
  stopVmsOnExit?: boolean;
  networkId?: string;
  onSlurmNode?: boolean;
}

/**
 * `nohead agent serve …`: serves until Ctrl-C or SIGTERM (VMs keep running after it, unless
 * --stop-vms-on-exit).
 */
export async function serve([options]: unknown[], _globals: GlobalOptions): Promise<number> {
  return runAgentUntilSignal(serveOptionsOf(options as ServeOptions));
}

/**
 * The agent's options from `nohead agent serve`'s flags (as the parser gives them).
 *
 * @example
 * serveOptionsOf({ listen: "[::1]:9", allowFlake: ["github:me/*"] })
 * // => { listen: "[::1]:9", allowedFlakes: ["github:me/*"], insecure: false, … }
 */
export function serveOptionsOf(o: ServeOptions): ServeAgentOptions {
  return {
    ...(o.listen ? { listen: o.listen } : {}),
    ...(o.tokenFile ? { tokenFile: o.tokenFile } : {}),
    ...(o.stateDir ? { stateDir: o.stateDir } : {}),
    ...(o.tlsCert ? { tlsCert: o.tlsCert } : {}),
    ...(o.tlsKey ? { tlsKey: o.tlsKey } : {}),
    ...(o.storeDir ? { storeDir: o.storeDir } : {}),
    ...(o.allowForwardAddress?.length ? { forwardAddresses: o.allowForwardAddress } : {}),
    ...(o.maxMachines ? { maxMachines: o.maxMachines } : {}),
    ...(o.readyFile ? { readyFile: o.readyFile } : {}),
    ...(o.stopVmsOnExit ? { stopVmsOnExit: true } : {}),
    ...(o.networkId ? { networkId: o.networkId } : {}),
    ...(o.onSlurmNode ? { onSlurmNode: true } : {}),
    insecure: o.insecure ?? false,
    allowQemuArgs: o.allowQemuArgs ?? false,
    onlyTrustedRunners: o.onlyTrustedRunners ?? false,
    trustedPublicKeys: o.trustedPublicKey ?? [],
    allowedFlakes: o.allowFlake ?? [],
    allowedHosts: o.allowHost ?? [],
  };
}

/** `nohead agent token [--file F] [--force]`: a new random token in a 0600 file; prints where. */
export async function token([options]: unknown[], _globals: GlobalOptions): Promise<number> {
  const { file = defaultTokenFile(), force = false } = options as { file?: string; force?: boolean };
  createTokenFile(file, { force });
  process.stdout.write(
    `wrote a new agent token to ${file} (mode 0600)\n` +
      `serve with:   nohead agent serve --token-file ${file}\n` +
      `clients need a copy of it: point "tokenFile" at it in their hosts file (docs/hosts.md)\n`,
  );
  return 0;
}
