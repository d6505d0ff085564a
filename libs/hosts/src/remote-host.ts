/**
 * A nohead agent as a Host, through Hono's typed client (`hc<AgentApp>`): the request and
 * response types come from the agent's own routes, so client and server cannot drift apart.
 * An error answer becomes a NoheadError of the same kind, its message naming the host.
 */
import type { ErrorBody } from "./api/agent-api.ts";
import type { AgentApp } from "./api/app.ts";
import type { BuildEvent, BuildOutcome } from "@nohead/nixgen";
import type { ExecResult } from "@nohead/qemu";
import { type ErrorKind, type ManifestMachine, NoheadError } from "@nohead/schema";
import type { StartProgress, StartResult, StopReport, VmStatus } from "@nohead/supervisor";
import { hc } from "hono/client";
import type {
  ClosureTransport,
  Host,
  HostBuildResult,
  HostCapabilities,
  HostLogOptions,
  HostStartOptions,
} from "./host.ts";
import type { ResolvedHost } from "./hosts-file.ts";
import { readSse } from "./sse-events.ts";

/** What the typed client's responses have in common with a fetch Response. */
type AnswerLike = Pick<Response, "ok" | "status" | "body" | "json">;

const ERROR_KINDS = new Set<string>(["usage", "config", "not-found", "conflict", "failed"]);

export interface RemoteHostOptions {
  name: string;
  /** The agent's base URL. */
  url: string;
  token: string;
  closures?: ClosureTransport;
  sshTarget?: string | undefined;
  sshOptions?: readonly string[] | undefined;
}

export class RemoteHost implements Host {
  readonly name: string;
  readonly url: string;
  readonly closures: ClosureTransport;
  readonly sshTarget: string | undefined;
  readonly sshOptions: readonly string[] | undefined;
  /**
   * The guests' forwarded ports are on the agent's loopback: `nohead ssh` reaches them through
   * the host's SSH, so only when the hosts file gives its `sshTarget`.
   */
  readonly capabilities: HostCapabilities;
  private readonly client: ReturnType<typeof hc<AgentApp>>;

  /**
   * @example
   * const lab = new RemoteHost({ name: "lab", url: "https://lab:7420", token });
   * await lab.start(manifest.machines.filter((m) => m.host === "lab"));
   */
  constructor({ name, url, token, closures = "agent-builds", sshTarget, sshOptions }: RemoteHostOptions) {
    this.name = name;
    this.url = url.replace(/\/+$/, "");
    this.closures = closures;
    this.sshTarget = sshTarget;
    this.sshOptions = sshOptions;
    this.capabilities = { exec: true, logs: true, build: true, ssh: sshTarget !== undefined };
    this.client = hc<AgentApp>(this.url, { headers: { Authorization: `Bearer ${token}` } });
  }

  /** The host declared as `host` in the hosts file (its token read from its token file). */
  static fromHostsFile(host: ResolvedHost, readToken: (file: string) => string): RemoteHost {
    return new RemoteHost({
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
    const { display = "none", fresh = false, qemuArgs, authorizedKeys = [], onProgress } = options;
    if (display !== "none") {
      throw new NoheadError("usage", `host ${this.name} runs machines headless; it cannot show windows`, {
        hint: "drop -w/--window for machines placed on an agent",
      });
    }
    const json = {
      machines,
      display,
      fresh,
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

  async stop(names?: string[]): Promise<StopReport[]> {
    const targets =
      names ?? (await this.status()).filter((s) => s.condition === "running").map((s) => s.name);
    return Promise.all(
      targets.map(async (name) =>
        this.json<StopReport>(
          await this.call(() => this.client.v1.vms[":name"].stop.$post({ param: { name }, json: {} })),
        ),
      ),
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
      throw new NoheadError(
        "failed",
        `cannot reach the agent of host ${this.name} at ${this.url}: ${String(error)}`,
        {
          hint: "check that `nohead agent serve` runs there and that the URL in the hosts file is right",
          cause: error,
        },
      );
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
