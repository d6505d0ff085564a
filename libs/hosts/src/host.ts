/**
 * The one interface of every place that runs VMs — this computer (its project's supervisor, on a
 * unix socket) or an agent (over HTTP) — so the CLI places, starts, watches and stops machines the
 * same way wherever they run. Hosts declare what they can do; callers ask the capability, never
 * the kind. ApiHost implements it for both, over the host API.
 */
import type { BuildEvent, BuildOutcome } from "@nohead/nixgen";
import type { DisplayEnv, ExecResult } from "@nohead/qemu";
import type { ManifestMachine, RestartPolicy, VmEvent } from "@nohead/schema";
import type { StartProgress, StartResult, StopReport, VmStatus } from "@nohead/supervisor";

/** What a host can do beyond start/stop/status/destroy. */
export interface HostCapabilities {
  /** Run a command in a guest through its guest agent. */
  exec: boolean;
  /** Read and follow a guest's serial console. */
  logs: boolean;
  /** Build a flake on the host itself (`build`). */
  build: boolean;
  /**
   * `nohead ssh` can reach the guests' forwarded SSH ports from this computer (for an agent:
   * through its host's SSH, `sshTarget`).
   */
  ssh: boolean;
  /** It shows VMs in windows (`-w`): only this computer's supervisor. */
  windows: boolean;
}

/**
 * How a machine's closure reaches the host: already there (`local`: this computer; `shared`: an
 * agent that sees the same /nix/store, e.g. on this computer or over a shared mount), `nix copy`
 * over SSH, or built there.
 */
export type ClosureTransport = "local" | "shared" | "nix-copy" | "agent-builds";

export interface HostStartOptions {
  display?: "none" | "window";
  /** With a window: the asking command's DISPLAY, WAYLAND_DISPLAY, XAUTHORITY (the set ones). */
  displayEnv?: DisplayEnv;
  fresh?: boolean;
  /** Stop and start again running machines whose system is not the one given. */
  recreate?: boolean;
  /** Leave a machine that fails to become ready running, to debug it. */
  keepFailed?: boolean;
  /** This restart policy instead of each machine's (`run --attach --restart`). */
  restart?: RestartPolicy;
  /** Extra QEMU arguments (an agent refuses them unless it runs with --allow-qemu-args). */
  qemuArgs?: string[];
  /** OpenSSH public key lines the guests authorize besides the host's own key (`nohead ssh`). */
  authorizedKeys?: string[];
  onProgress?: (progress: StartProgress) => void;
}

export interface HostLogOptions {
  /** Keep streaming new lines until `signal` aborts. */
  follow?: boolean;
  /** How many last lines first (default 100). */
  lines?: number;
  signal?: AbortSignal;
}

/** A flake built on a host: the build's outcome and the machines it produced there. */
export interface HostBuildResult {
  outcome: BuildOutcome;
  machines: ManifestMachine[];
}

export interface StreamingExecOptions {
  /** Deadline for the whole run (default 60000). */
  timeoutMs?: number;
  /** Called with each piece of output, in the order read. */
  onOutput: (stream: "stdout" | "stderr", chunk: Uint8Array) => void;
}

/** How a streamed command ended: its exit, or why it never started or did not finish in time. */
export type StreamedExecEnd =
  | { ended: "exit"; exitCode: number | null; signal: number | null }
  | { ended: "not-started"; error: string }
  | { ended: "timed-out"; pid: number | null };

/** Where a VM runs on a Slurm host: its pilot job, the node, the job's state. */
export interface SlurmJobRef {
  jobId: string;
  node: string | null;
  state: string;
}

/** A VM's status as a host gives it; a Slurm host adds the VM's pilot job. */
export type PlacedVmStatus = VmStatus & { slurmJob?: SlurmJobRef };

export interface Host {
  readonly name: string;
  readonly capabilities: HostCapabilities;
  readonly closures: ClosureTransport;
  /** `user@host` of the host's own SSH: `nix copy --to ssh-ng://…` and the jump of `nohead ssh`. */
  readonly sshTarget?: string | undefined;
  /** OpenSSH client options for `sshTarget` (`["-p", "2222", "-i", "~/.ssh/lab"]`). */
  readonly sshOptions?: readonly string[] | undefined;
  /** Starts `machines` (dependencies first) and resolves when each is ready or failed. */
  start(machines: ManifestMachine[], options?: HostStartOptions): Promise<StartResult[]>;
  /** Stops `names` (default: every VM it runs or is starting), gracefully and bounded. */
  stop(names?: string[], options?: { powerdownMs?: number }): Promise<StopReport[]>;
  /** Status of `names` (default: every VM the host knows). */
  status(names?: string[]): Promise<PlacedVmStatus[]>;
  exec(name: string, argv: string[], options?: { timeoutMs?: number }): Promise<ExecResult>;
  /** Runs a command like {@link exec}, handing its output to `onOutput` as it comes. */
  execStreaming(name: string, argv: string[], options: StreamingExecOptions): Promise<StreamedExecEnd>;
  /** The console's last lines, then (with `follow`) new ones as they come. */
  logs(name: string, options?: HostLogOptions): AsyncIterable<string>;
  /** Its VMs' events from now on (start, ready, healthy, …, stop), until `signal` aborts. */
  events(options?: { signal?: AbortSignal }): AsyncIterable<VmEvent>;
  /** Stops `name` and deletes its disk and state. */
  destroy(name: string): Promise<StopReport>;
  /** Builds `flake` (`ref#attr`) on the host (when `capabilities.build`). */
  build?(flake: string, onEvent?: (event: BuildEvent) => void): Promise<HostBuildResult>;
}
