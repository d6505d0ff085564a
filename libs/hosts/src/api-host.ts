/**
 * The one Host implementation: the host API (libs/hosts/src/api) reached through Hono's typed
 * client (`hc<AgentApp>`) — on an agent over TCP with its token, or on the project's supervisor
 * over its unix socket — so the request and response types come from the app's own routes and
 * client and server cannot drift apart. An error answer becomes a NoheadError of the same kind,
 * its message naming the host.
 */
import type { ErrorBody } from "./api/agent-api.ts";
import type { AgentApp } from "./api/app.ts";
import type { BuildEvent, BuildOutcome } from "@nohead/nixgen";
import type { ExecResult } from "@nohead/qemu";
import { type ErrorKind, type ManifestMachine, NoheadError, type VmEvent } from "@nohead/schema";
import type { StartProgress, StartResult, StopReport, VmStatus } from "@nohead/supervisor";
import { hc } from "hono/client";
import type {
  ClosureTransport,
  Host,
  HostBuildResult,
  HostCapabilities,
  HostLogOptions,
  HostStartOptions,
  StreamedExecEnd,
  StreamingExecOptions,
} from "./host.ts";
import type { ResolvedAgentHost } from "./hosts-file.ts";
import { readSse } from "./sse-events.ts";

/** What the typed client's responses have in common with a fetch Response. */
type AnswerLike = Pick<Response, "ok" | "status" | "body" | "json">;

const ERROR_KINDS = new Set<string>(["usage", "config", "not-found", "conflict", "failed"]);

/** Whether a fetch over a unix socket failed because nothing listens there (nothing was sent). */
function nothingListens(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "FailedToOpenSocket" || code === "ECONNREFUSED" || code === "ENOENT";
}

/** Where the host API answers: an agent's URL and token, or the supervisor's unix socket. */
export type HostEndpoint =
  | { url: string; token: string }
  | {
      /**
       * The socket's path, once something answers there (the supervisor is started on demand);
       * `again` when the last one no longer listens (the supervisor ended while idle): look anew.
       */
      unix: (again?: boolean) => Promise<string>;
      /** Said in errors: what listens on the socket. */
      what: string;
      /** What to do when it does not answer (where its log is). */
      hint: string;
    };

export type ApiHostOptions = HostEndpoint & {
  name: string;
  closures?: ClosureTransport;
  sshTarget?: string | undefined;
  sshOptions?: readonly string[] | undefined;
  /** The host shows VM windows (`-w`): only this computer. Default false. */
  windows?: boolean;
};

export class ApiHost implements Host {
  readonly name: string;
  /** Where it is, for messages: a URL or `the project's supervisor (unix socket)`. */
  readonly where: string;
  readonly closures: ClosureTransport;
  readonly sshTarget: string | undefined;
  readonly sshOptions: readonly string[] | undefined;
  /**
   * The guests' forwarded ports are on the host's loopback: `nohead ssh` reaches them directly on
   * this computer, and through the host's SSH elsewhere, so only when the hosts file gives its
   * `sshTarget`.
   */
  readonly capabilities: HostCapabilities;
  private readonly client: ReturnType<typeof hc<AgentApp>>;
  private readonly unreachableHint: string;

  /**
   * @example
   * const lab = new ApiHost({ name: "lab", url: "https://lab:7420", token });
   * await lab.start(manifest.machines.filter((m) => m.host === "lab"));
   * const here = new ApiHost({ name: "local", unix: async () => socket, what: "the supervisor", closures: "local" });
   */
  constructor(options: ApiHostOptions) {
    const { name, closures = "agent-builds", sshTarget, sshOptions, windows = false } = options;
    this.name = name;
    this.closures = closures;
    this.sshTarget = sshTarget;
    this.sshOptions = sshOptions;
    const onThisComputer = "unix" in options;
    this.capabilities = {
      exec: true,
      logs: true,
      build: true,
      ssh: onThisComputer || sshTarget !== undefined,
      windows,
    };
    if ("unix" in options) {
      const { unix } = options;
      this.where = options.what;
      this.unreachableHint = options.hint;
      // The host name in the URL is never resolved: the request goes to the socket.
      this.client = hc<AgentApp>("http://supervisor", {
        fetch: async (input: string | URL | Request, init?: RequestInit) => {
          try {
            return await fetch(input, { ...init, unix: await unix() });
          } catch (error) {
            if (!nothingListens(error)) throw error;
            // The supervisor ended between two requests (it ends when idle): this one never
            // reached it, so it is sent once more, to the supervisor started anew.
            return fetch(input, { ...init, unix: await unix(true) });
          }
        },
      });
    } else {
      this.where = options.url.replace(/\/+$/, "");
      this.unreachableHint =
        "check that `nohead agent serve` runs there and that the URL in the hosts file is right";
      this.client = hc<AgentApp>(this.where, { headers: { Authorization: `Bearer ${options.token}` } });
    }
  }

  /** The host declared as `host` in the hosts file (its token read from its token file). */
  static fromHostsFile(host: ResolvedAgentHost, readToken: (file: string) => string): ApiHost {
    return new ApiHost({
      name: host.name,
      url: host.url,
      token: readToken(host.tokenFile),
      closures: host.closures,
      sshTarget: host.sshTarget,
      sshOptions: host.sshOptions,
    });
  }

  /** The agent's version; fails when it cannot be reached. */
  async health(): Promise<{ ok: true; version: string }> {
    return this.json(await this.call(() => this.client.v1.health.$get()));
  }

  async start(machines: ManifestMachine[], options: HostStartOptions = {}): Promise<StartResult[]> {
    const {
      display = "none",
      displayEnv = {},
      fresh = false,
      qemuArgs,
      authorizedKeys = [],
      onProgress,
    } = options;
    const { recreate = false, keepFailed = false, restart } = options;
    if (display !== "none" && !this.capabilities.windows) {
      throw new NoheadError("usage", `host ${this.name} runs machines headless; it cannot show windows`, {
        hint: "drop -w/--window for machines placed on an agent",
      });
    }
    const json = {
      machines,
      display,
      ...(display === "window" ? { displayEnv } : {}),
      fresh,
      ...(recreate ? { recreate } : {}),
      ...(keepFailed ? { keepFailed } : {}),
      ...(restart ? { restart } : {}),
      ...(qemuArgs && qemuArgs.length > 0 ? { qemuArgs } : {}),
      ...(authorizedKeys.length > 0 ? { authorizedKeys } : {}),
    };
    // The event stream keeps a long start alive through proxies, and reports progress.
    const response = await this.call(() =>
      this.client.v1.vms.start.$post({ json }, { headers: { Accept: "text/event-stream" } }),
    );
    const result = await this.lastEvent<{ machines: StartResult[] }>(response, (event, data) => {
      if (event === "progress") onProgress?.(JSON.parse(data) as StartProgress);
    });
    return result.machines;
  }

  async stop(names?: string[], { powerdownMs }: { powerdownMs?: number } = {}): Promise<StopReport[]> {
    const json =
      powerdownMs === undefined ? {} : { timeoutSeconds: Math.max(1, Math.ceil(powerdownMs / 1000)) };
    if (!names) {
      // The host stops everything it runs or is starting: a start in progress has no running status.
      const response = await this.call(() => this.client.v1.vms.stop.$post({ json }));
      return (await this.json<{ machines: StopReport[] }>(response)).machines;
    }
    // Each machine gets its own report: one that cannot be stopped does not hide the others.
    return Promise.all(
      names.map(async (name): Promise<StopReport> => {
        try {
          return await this.json<StopReport>(
            await this.call(() => this.client.v1.vms[":name"].stop.$post({ param: { name }, json })),
          );
        } catch (error) {
          if (error instanceof NoheadError && error.kind === "not-found") throw error;
          const message = error instanceof Error ? error.message : String(error);
          return { machine: name, ok: false, method: null, durationMs: 0, error: message };
        }
      }),
    );
  }

  async status(names?: string[]): Promise<VmStatus[]> {
    if (names) {
      return Promise.all(
        names.map(async (name) =>
          this.json<VmStatus>(await this.call(() => this.client.v1.vms[":name"].$get({ param: { name } }))),
        ),
      );
    }
    return (await this.json<{ vms: VmStatus[] }>(await this.call(() => this.client.v1.vms.$get()))).vms;
  }

  async exec(
    name: string,
    argv: string[],
    { timeoutMs = 60_000 }: { timeoutMs?: number } = {},
  ): Promise<ExecResult> {
    const timeoutSeconds = Math.max(1, Math.ceil(timeoutMs / 1000));
    return this.json<ExecResult>(
      await this.call(() =>
        this.client.v1.vms[":name"].exec.$post({ param: { name }, json: { argv, timeoutSeconds } }),
      ),
    );
  }

  async execStreaming(
    name: string,
    argv: string[],
    { timeoutMs = 60_000, onOutput }: StreamingExecOptions,
  ): Promise<StreamedExecEnd> {
    const timeoutSeconds = Math.max(1, Math.ceil(timeoutMs / 1000));
    const response = await this.call(() =>
      this.client.v1.vms[":name"].exec.stream.$post({ param: { name }, json: { argv, timeoutSeconds } }),
    );
    if (response.body) {
      for await (const { event, data } of readSse(response.body)) {
        if (event === "stdout" || event === "stderr") onOutput(event, Buffer.from(data, "base64"));
        else if (event === "end") return JSON.parse(data) as StreamedExecEnd;
        else if (event === "error") throw this.errorOf(JSON.parse(data) as ErrorBody, 500);
      }
    }
    throw new NoheadError(
      "failed",
      `host ${this.name} ended the output of \`${argv.join(" ")}\` without its exit`,
      {
        machine: name,
      },
    );
  }

  async *logs(
    name: string,
    { follow = false, lines = 100, signal }: HostLogOptions = {},
  ): AsyncIterable<string> {
    const response = await this.call(() =>
      this.client.v1.vms[":name"].logs.$get(
        { param: { name }, query: { follow: follow ? "true" : "false", lines: String(lines) } },
        signal ? { init: { signal } } : {},
      ),
    );
    if (!response.body) return;
    try {
      for await (const { event, data } of readSse(response.body)) {
        if (event === "line") yield data;
        else if (event === "end") return;
        else if (event === "error") throw this.errorOf(JSON.parse(data) as ErrorBody, 500);
      }
    } catch (error) {
      if (signal?.aborted) return;
      throw error;
    }
  }

  async *events({ signal }: { signal?: AbortSignal } = {}): AsyncIterable<VmEvent> {
    const response = await this.call(() =>
      this.client.v1.events.$get({}, signal ? { init: { signal } } : {}),
    );
    if (!response.body) return;
    try {
      for await (const { event, data } of readSse(response.body)) {
        if (event === "vm") yield JSON.parse(data) as VmEvent;
        else if (event === "error") throw this.errorOf(JSON.parse(data) as ErrorBody, 500);
      }
    } catch (error) {
      if (signal?.aborted) return;
      throw error;
    }
  }

  async destroy(name: string): Promise<StopReport> {
    return this.json<StopReport>(
      await this.call(() => this.client.v1.vms[":name"].$delete({ param: { name } })),
    );
  }

  async build(
    flake: string,
    onEvent: (event: BuildEvent) => void = () => undefined,
  ): Promise<HostBuildResult> {
    const response = await this.call(() => this.client.v1.builds.$post({ json: { flake } }));
    const result = await this.lastEvent<BuildOutcome & { machines: ManifestMachine[] }>(
      response,
      (event, data) => {
        if (event === "build") onEvent(JSON.parse(data) as BuildEvent);
      },
    );
    const { machines, ...outcome } = result;
    return { outcome, machines };
  }

  /** Sends a request; an unreachable agent is a `failed` error naming the host and URL. */
  private async call<R extends AnswerLike>(request: () => Promise<R>): Promise<R> {
    let response: R;
    try {
      response = await request();
    } catch (error) {
      if (error instanceof Error && error.name === "AbortError") throw error;
      throw new NoheadError("failed", `cannot reach host ${this.name} (${this.where}): ${String(error)}`, {
        hint: this.unreachableHint,
        cause: error,
      });
    }
    if (response.ok) return response;
    const body = (await response.json().catch(() => null)) as ErrorBody | null;
    throw this.errorOf(body, response.status);
  }

  private async json<T>(response: AnswerLike): Promise<T> {
    return (await response.json()) as T;
  }

  /** Reads an event stream to its `result` event, passing the others to `onEvent`. */
  private async lastEvent<T>(
    response: AnswerLike,
    onEvent: (event: string, data: string) => void,
  ): Promise<T> {
    if (!response.body) throw new NoheadError("failed", `host ${this.name} answered without a body`);
    for await (const { event, data } of readSse(response.body)) {
      if (event === "result") return JSON.parse(data) as T;
      if (event === "error") throw this.errorOf(JSON.parse(data) as ErrorBody, 500);
      onEvent(event, data);
    }
    throw new NoheadError("failed", `host ${this.name} ended its answer before the result`, {
      hint: "the agent may have been stopped or restarted; run `nohead status` to see where things are",
    });
  }

  private errorOf(body: ErrorBody | null, status: number): NoheadError {
    const error = body?.error;
    const kind: ErrorKind =
      error && ERROR_KINDS.has(error.kind) ? (error.kind as ErrorKind) : kindOfStatus(status);
    const message = error?.message ?? `HTTP ${status}`;
    const details = error?.issues?.map((i) => `\n  ${i.path}: ${i.message}`).join("") ?? "";
    return new NoheadError(kind, `host ${this.name}: ${message}${details}`, {
      hint:
        error?.hint ??
        (status === 401 ? `check the token file of host ${this.name} in the hosts file` : undefined),
    });
  }
}

/** The error kind of an HTTP status without a nohead kind (auth failures are configuration). */
function kindOfStatus(status: number): ErrorKind {
  if (status === 401 || status === 403) return "config";
  if (status === 404) return "not-found";
  if (status === 409) return "conflict";
  return status < 500 ? "usage" : "failed";
}
