/**
 * Runs the agent on Bun.serve: checks the listen address against the TLS settings, reads the
 * token, opens the state dir (re-adopting the VMs already running there) and serves the app.
 * `nohead agent serve` (the CLI, whose table declares its flags) calls {@link runAgentUntilSignal}.
 */
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { NoheadError } from "@nohead/schema";
import { writeJsonAtomic } from "@nohead/schema/write-json-atomic";
import {
  AgentReady,
  createApp,
  openAgentFleet,
  resolveToken,
  serveApp,
  slurmNodeAddress,
} from "@nohead/hosts";
import { AGENT_VERSION } from "./agent-version.ts";
import { defaultAgentStateDir } from "./default-state-dir.ts";
import { checkListenSecurity, parseListen } from "./listen-address.ts";

/**
 * How long each VM gets to power down when a pilot agent ends (`stopVmsOnExit`): inside Slurm's
 * default KillWait of 30 s, with room for the forceful stop that follows.
 */
export const PILOT_POWERDOWN_MS = 15_000;
/** The default listen address: loopback only. */
export const DEFAULT_LISTEN = "127.0.0.1:7420";

export interface ServeAgentOptions {
  /** `host:port` (default 127.0.0.1:7420; port 0 picks a free one). */
  listen?: string;
  /** The token file (else the systemd credential `token`, else the default token file). */
  tokenFile?: string;
  /** The token itself (tests and `nohead ui`); wins over tokenFile. */
  token?: string;
  /** Default `$XDG_STATE_HOME/nohead/agent`. */
  stateDir?: string;
  tlsCert?: string;
  tlsKey?: string;
  /** Allow a non-loopback address without TLS. */
  insecure?: boolean;
  allowQemuArgs?: boolean;
  /** The Nix store (default /nix/store). */
  storeDir?: string;
  /** Start only runners built here or signed by one of `trustedPublicKeys`. */
  onlyTrustedRunners?: boolean;
  trustedPublicKeys?: string[];
  /** Flake reference patterns `POST /v1/builds` accepts (none: builds are off). */
  allowedFlakes?: string[];
  /** Addresses forwards may bind (default 127.0.0.1 only). */
  forwardAddresses?: string[];
  /** Most machines the agent keeps (default 32). */
  maxMachines?: number;
  /** Host names clients may use besides IP literals and localhost. */
  allowedHosts?: string[];
  title?: string;
  /**
   * Once listening, write `{ url, node, pid }` here (mode 0600, atomically): how a Slurm pilot job
   * tells the CLI where its agent answers (docs/slurm.md).
   */
  readyFile?: string;
  /**
   * On SIGTERM/SIGINT, stop this agent's VMs before exiting (a Slurm pilot job: its end is theirs);
   * on SIGUSR1 (Slurm's warning before the job's time limit), stop them and keep serving.
   */
  stopVmsOnExit?: boolean;
  /** Put the VMs on this project's private network (8 hex digits; a Slurm pilot job's client). */
  networkId?: string;
  /**
   * Listen on the address of the Slurm node running this job (its NodeAddr, SLURMD_NODENAME's),
   * on `listen`'s port, rather than on `listen`'s host: a pilot job's agent on the cluster network.
   */
  onSlurmNode?: boolean;
}

export interface RunningAgent {
  /** The base URL clients use (`http://127.0.0.1:7420`). */
  url: string;
  port: number;
  stateDir: string;
  /** Where the token came from (a file or the systemd credential). */
  tokenSource: string;
  /** Problems found while opening the state dir (a corrupt saved manifest moved aside). */
  warnings: string[];
  /** Stops listening (running VMs go on: they belong to the state dir, not to this process). */
  stop(): Promise<void>;
  /** Stops every VM of its state dir (gracefully, within `powerdownMs` each). */
  stopVms(powerdownMs: number): Promise<void>;
}

/**
 * Starts the agent.
 *
 * @example
 * const agent = serveAgent({ listen: "127.0.0.1:0", tokenFile: "/etc/nohead/token", stateDir: "/tmp/a" });
 * console.log(agent.url); // http://127.0.0.1:40123
 */
export function serveAgent(options: ServeAgentOptions = {}): RunningAgent {
  const { listen = DEFAULT_LISTEN, insecure = false, allowQemuArgs = false } = options;
  const { stateDir = defaultAgentStateDir(), tlsCert, tlsKey, title } = options;
  if ((tlsCert === undefined) !== (tlsKey === undefined)) {
    throw new NoheadError("usage", "--tls-cert and --tls-key go together", {
      hint: "pass both (a PEM certificate and its PEM private key)",
    });
  }
  const address = parseListen(listen);
  checkListenSecurity(address, { tls: tlsCert !== undefined, insecure });
  const { token, source } = options.token
    ? { token: options.token, source: "given" }
    : resolveToken(options.tokenFile);
  const { fleet, machines } = openAgentFleet(
    stateDir,
    options.networkId ? { networkId: options.networkId } : {},
  );
  // The VMs it ran before a restart (or a SIGKILL) run on: its workers take them over again.
  void fleet.adopt().then((reports) => {
    for (const r of reports)
      if (!r.adopted && r.reason !== "not running")
        process.stderr.write(`warning: ${r.machine}: not adopted (${r.reason})\n`);
  });
  const app = createApp({
    fleet,
    machines,
    token,
    version: AGENT_VERSION,
    allowQemuArgs,
    ...(options.storeDir ? { storeDir: options.storeDir } : {}),
    onlyTrustedRunners: options.onlyTrustedRunners ?? false,
    trustedPublicKeys: options.trustedPublicKeys ?? [],
    allowedFlakes: options.allowedFlakes ?? [],
    ...(options.forwardAddresses ? { forwardAddresses: options.forwardAddresses } : {}),
    ...(options.maxMachines !== undefined ? { maxMachines: options.maxMachines } : {}),
    allowedHosts: options.allowedHosts ?? [],
    tls: tlsCert !== undefined,
    title: title ?? `nohead agent on ${hostName()}`,
  });
  const server = serveApp(app, {
    hostname: address.hostname,
    port: address.port,
    ...(tlsCert && tlsKey
      ? { tls: { cert: readFileSync(tlsCert, "utf8"), key: readFileSync(tlsKey, "utf8") } }
      : {}),
  });
  const scheme = tlsCert ? "https" : "http";
  const host = address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname;
  return {
    url: `${scheme}://${host}:${server.port}`,
    port: server.port,
    stateDir: fleet.project.stateDir,
    tokenSource: source,
    warnings: machines.recovered ? [machines.recovered] : [],
    stop: () => server.stop(),
    stopVms: async (powerdownMs) => {
      await fleet.stop(undefined, { powerdownMs });
    },
  };
}

/**
 * Writes where the agent answers to `file`, 0600 and whole, in the shape its reader parses
 * (`AgentReady`). The node is Slurm's name of it (SLURMD_NODENAME, what `scontrol show node`
 * takes), else this machine's host name.
 */
function writeReadyFile(file: string, url: string): void {
  const node = process.env.SLURMD_NODENAME || hostname();
  writeJsonAtomic(file, AgentReady.parse({ url, node, pid: process.pid }));
}

function hostName(): string {
  try {
    return readFileSync("/etc/hostname", "utf8").trim() || "this host";
  } catch {
    return "this host";
  }
}

/**
 * `options` with `listen` on the Slurm node's own address when `onSlurmNode` (resolved here, as
 * the CLI resolves it to reach the agent).
 */
async function withSlurmNodeAddress(options: ServeAgentOptions): Promise<ServeAgentOptions> {
  if (!options.onSlurmNode) return options;
  const node = process.env.SLURMD_NODENAME;
  if (!node) {
    throw new NoheadError("usage", "--on-slurm-node needs SLURMD_NODENAME: run it in a Slurm job", {
      hint: "drop --on-slurm-node outside Slurm",
    });
  }
  const { port } = parseListen(options.listen ?? DEFAULT_LISTEN);
  const address = await slurmNodeAddress(node, node);
  return { ...options, listen: `${address}:${port}` };
}

/** Serves until SIGINT/SIGTERM, printing where; resolves with the exit code (`nohead agent serve`). */
export async function runAgentUntilSignal(given: ServeAgentOptions): Promise<number> {
  const options = await withSlurmNodeAddress(given);
  const agent = serveAgent(options);
  for (const warning of agent.warnings) process.stderr.write(`warning: ${warning}\n`);
  if (options.readyFile) writeReadyFile(options.readyFile, agent.url);
  process.stdout.write(
    `nohead agent ${AGENT_VERSION} listening on ${agent.url} (state: ${agent.stateDir}, token: ${agent.tokenSource})\n`,
  );
  if (options.stopVmsOnExit) {
    // Slurm's warning, sent to the batch script (this agent) alone, before the job's time limit:
    // power the VMs down while there is time; Slurm ends the job at the limit.
    process.on("SIGUSR1", () => {
      process.stdout.write("SIGUSR1: the job's end is near; stopping its VMs\n");
      void agent.stopVms(PILOT_POWERDOWN_MS).then(
        () => process.stdout.write("its VMs are stopped\n"),
        (error: unknown) => process.stderr.write(`stopping its VMs failed: ${String(error)}\n`),
      );
    });
  }
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  if (options.stopVmsOnExit) {
    process.stdout.write(`${signal}: stopping the agent and its VMs\n`);
    // Slurm sends SIGKILL KillWait (30 s by default) after SIGTERM: power down within that.
    await agent.stopVms(PILOT_POWERDOWN_MS);
  } else {
    process.stdout.write(
      `${signal}: stopping the agent; its VMs keep running and are re-adopted at its next start\n`,
    );
  }
  await agent.stop();
  return 0;
}
