/**
 * The hosts a project can use: this computer (a LocalHost on the project's fleet) and every agent
 * declared in the hosts files (RemoteHosts, tokens read from their token files). Tokens are read
 * only for the hosts asked for, so an unused host with a missing token file bothers no one.
 */
import { readTokenFile } from "./api/token-file.ts";
import type { Fleet } from "@nohead/supervisor";
import type { Host } from "./host.ts";
import { loadHosts, type ResolvedHost } from "./hosts-file.ts";
import { LocalHost } from "./local-host.ts";
import { LOCAL_HOST } from "./place-machines.ts";
import { RemoteHost } from "./remote-host.ts";

export interface HostDirectory {
  /** Names of the declared agents (not including "local"). */
  declared: ReadonlySet<string>;
  /** The host called `name` ("local" is this computer). */
  get(name: string): Host;
  /** Every host: this computer first, then the declared agents. */
  all(): Host[];
}

/**
 * The hosts of `fleet`'s project.
 *
 * @example
 * const hosts = openHosts(fleet);
 * const { vms, unreachable } = await statusOfHosts(hosts.all());
 */
export function openHosts(
  fleet: Fleet,
  env: Record<string, string | undefined> = process.env,
): HostDirectory {
  const declared: Map<string, ResolvedHost> = loadHosts(fleet.project.stateDir, env);
  const local = new LocalHost(fleet, LOCAL_HOST);
  const opened = new Map<string, Host>([[LOCAL_HOST, local]]);
  const get = (name: string): Host => {
    const known = opened.get(name);
    if (known) return known;
    const entry = declared.get(name);
    if (!entry) throw new Error(`host ${name} is not declared (placeMachines checks this first)`);
    const host = RemoteHost.fromHostsFile(entry, (file) => readTokenFile(file));
    opened.set(name, host);
    return host;
  };
  return {
    declared: new Set(declared.keys()),
    get,
    all: () => [local, ...[...declared.keys()].sort().map(get)],
  };
}
