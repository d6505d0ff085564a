/**
 * The hosts a project can use: this computer (its supervisor, on a unix socket, started on first
 * use) and every agent declared in the hosts files (over TCP, tokens read from their token
 * files). Both are ApiHosts. Tokens are read only for the hosts asked for, so an unused host with
 * a missing token file bothers no one, and the supervisor is started only when a command talks to
 * it.
 */
import { ensureSupervisor, type Project, supervisorPaths } from "@nohead/supervisor";
import { ApiHost } from "./api-host.ts";
import { readTokenFile } from "./api/token-file.ts";
import type { Host } from "./host.ts";
import { isSlurmHost, loadHosts, type ResolvedHost } from "./hosts-file.ts";
import { LOCAL_HOST } from "./place-machines.ts";
import { SlurmHost } from "./slurm/slurm-host.ts";

/** The argvs of the CLI's own program that hosts run: only the CLI knows how it is run. */
export interface ProgramCommands {
  /** Runs `nohead supervise` (the project's supervisor). */
  supervise: string[];
  /** Runs `nohead agent serve` (a Slurm host's pilot jobs). */
  agentServe: string[];
}

export interface HostDirectory {
  /** Names of the declared agents (not including "local"). */
  declared: ReadonlySet<string>;
  /** The host called `name` ("local" is this computer). */
  get(name: string): Host;
  /** Every host: this computer first, then the declared agents. */
  all(): Host[];
}

/**
 * The hosts of `project`: this computer's supervisor, the declared agents and Slurm clusters.
 *
 * @example
 * const main = [process.execPath, "apps/cli/src/main.ts"];
 * const hosts = openHosts(project, { supervise: [...main, "supervise"], agentServe: [...main, "agent", "serve"] });
 * const { vms, unreachable } = await statusOfHosts(hosts.all());
 */
export function openHosts(
  project: Project,
  commands: ProgramCommands,
  env: Record<string, string | undefined> = process.env,
): HostDirectory {
  const declared: Map<string, ResolvedHost> = loadHosts(project.stateDir, env);
  let socket: Promise<string> | undefined;
  const local = new ApiHost({
    name: LOCAL_HOST,
    unix: (again = false) => {
      if (again) socket = undefined;
      socket ??= ensureSupervisor(project, commands.supervise).then((record) => record.socket);
      return socket;
    },
    what: `the project's supervisor (${supervisorPaths(project).socket})`,
    hint: `its log is ${supervisorPaths(project).log}`,
    closures: "local",
    windows: true,
  });
  const opened = new Map<string, Host>([[LOCAL_HOST, local]]);
  const get = (name: string): Host => {
    const known = opened.get(name);
    if (known) return known;
    const entry = declared.get(name);
    if (!entry) throw new Error(`host ${name} is not declared (placeMachines checks this first)`);
    const host = isSlurmHost(entry)
      ? new SlurmHost({
          host: entry,
          stateDir: project.stateDir,
          agentServe: commands.agentServe,
          networkId: project.id,
          env,
        })
      : ApiHost.fromHostsFile(entry, (file) => readTokenFile(file));
    opened.set(name, host);
    return host;
  };
  return {
    declared: new Set(declared.keys()),
    get,
    all: () => [local, ...[...declared.keys()].sort().map(get)],
  };
}
