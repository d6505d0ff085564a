/**
 * The agent's HTTP API (`/v1/…`) and status page, as a Hono app over the same Fleet the CLI uses.
 * Every request has its `Host` and, when it changes something, its origin checked; it is
 * authenticated (but `/v1/health`), size-limited and validated by a strict zod schema before
 * anything runs; every error becomes one JSON shape in one `onError`. The machines an agent is
 * given are saved in its state dir, and VM state lives there too, so a restarted agent finds,
 * restarts and stops the VMs it started before.
 */
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type ManifestMachine, NoheadError } from "@nohead/schema";
import { Fleet, FleetEvents, type StartOptions, type StartResult, vmPaths } from "@nohead/supervisor";
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { NONCE, secureHeaders } from "hono/secure-headers";
import { type SSEStreamingApi, streamSSE } from "hono/streaming";
import {
  BuildRequest,
  ExecRequest,
  LogsQuery,
  type StartRequest,
  StopRequest,
  startRequestSchema,
  VmNameParam,
} from "./agent-api.ts";
import { followConsole } from "@nohead/supervisor";
import { errorAnswer, onAgentError, onAgentNotFound } from "./error-response.ts";
import { flakePattern, flakeRefProblem } from "./flake-policy.ts";
import type { MachineStore } from "./machine-store.ts";
import { parseTrustedKey } from "./nix-signature.ts";
import { type AgentBindings, noIdleTimeout } from "./no-idle-timeout.ts";
import { pageRoutes } from "./page/page-routes.tsx";
import { PageSessions } from "./page-sessions.ts";
import { requestGuard } from "./request-guard.ts";
import { RunnerTrust } from "./runner-trust.ts";
import { socketOwnerAuth } from "./socket-owner-auth.ts";
import { storePathProblems } from "./store-path.ts";
import { type AuthVia, tokenAuth } from "./token-auth.ts";
import { validTokenProblem } from "./token-file.ts";
import { validate } from "./validate.ts";
import { GuestExecError } from "@nohead/qemu";
import type { StreamedExecEnd } from "../host.ts";

/** Hono's environment for every agent route. */
export interface AgentEnv {
  Bindings: AgentBindings;
  Variables: { authVia: AuthVia; secureHeadersNonce?: string };
}

/** Largest request body the agent reads. */
export const BODY_LIMIT_BYTES = 1024 * 1024;
/**
 * How often a quiet event stream sends a comment line, so proxies and clients see it alive — and
 * so Bun, which closes a connection silent for 10 s (`idleTimeout`; lifting it per request did
 * not keep a quiet stream open on a unix socket, measured with Bun 1.4.5), never sees one silent.
 */
export const HEARTBEAT_MS = 5_000;
/** Most machines an agent keeps unless its operator says otherwise. */
export const DEFAULT_MAX_MACHINES = 32;

export interface AgentAppOptions {
  /** The runtime: its project's state dir holds the VMs' state. */
  fleet: Fleet;
  /**
   * The bearer token clients must send; null when the app is served only on a unix socket of mode
   * 0600 in a private directory (the project's supervisor), where reaching the socket already
   * proves the caller is its owner. Body limits and validation apply either way; without a token
   * there is no status page (browsers cannot reach a unix socket).
   */
  token: string | null;
  /** Reported by `/v1/health` and the page. */
  version: string;
  /**
   * Which `qemuArgs` start requests may carry: none (default), the harmless ones
   * (allowed-qemu-args.ts lists them), or any (the project's supervisor: its one client is its own
   * user, who may run QEMU with anything).
   */
  allowQemuArgs?: boolean | "any";
  /**
   * The Nix store: runner and system paths must be valid store paths in it. Default /nix/store;
   * null: any absolute, normalised path (the project's supervisor runs its own user's builds,
   * wherever they are).
   */
  storeDir?: string | null;
  /**
   * Start only runners whose closures this agent built or that are signed by one of
   * `trustedPublicKeys` (Nix's `name:base64` keys). Default false: any valid store path.
   */
  onlyTrustedRunners?: boolean;
  trustedPublicKeys?: string[];
  /** Patterns of the flake references `POST /v1/builds` builds (flake-policy.ts). Default none. */
  allowedFlakes?: string[];
  /** Host addresses machines' forwards may bind. Default `["127.0.0.1"]`; null: any (the supervisor). */
  forwardAddresses?: string[] | null;
  /** Most machines this agent keeps (saved or with state). Default {@link DEFAULT_MAX_MACHINES}. */
  maxMachines?: number;
  /** Host names requests may name besides IP literals and localhost (DNS-rebinding defence). */
  allowedHosts?: string[];
  /** Served over TLS: the `Host` check is left to the certificate. Default false. */
  tls?: boolean;
  /** Secret files must be inside this directory. Default `<stateDir>/secrets`; null: anywhere. */
  secretsDir?: string | null;
  /** Accept `display: "window"` in start requests (the local supervisor). Default false. */
  allowWindows?: boolean;
  /** The fleet's events (default: watched from state files while someone listens). */
  events?: FleetEvents;
  /**
   * Where machines received over HTTP are saved. Without it (`nohead ui`) the server runs only
   * the fleet's own machines: start requests with machines and builds are refused.
   */
  machines?: MachineStore;
  /** Shown in the page's title (e.g. the host name or the project). */
  title?: string;
}

/**
 * The agent's Hono app; serve it with `Bun.serve({ fetch: (req, server) => app.fetch(req, { server }) })`
 * or call `app.request()` in tests. Its type gives the typed client `hc<AgentApp>`.
 *
 * @example
 * const store = new MachineStore(stateDir);
 * const fleet = new Fleet(projectAt(stateDir, stateDir), stateDir, store.manifest);
 * const app = createApp({ fleet, token, version: "0.1.0", machines: store });
 * const res = await app.request("/v1/vms", { headers: { Authorization: `Bearer ${token}` } });
 */
export function createApp(options: AgentAppOptions) {
  const { fleet: baseFleet, token, version, allowQemuArgs = false, allowWindows = false } = options;
  const { machines, title = "nohead", onlyTrustedRunners = false, trustedPublicKeys = [] } = options;
  const { allowedFlakes = [], maxMachines = DEFAULT_MAX_MACHINES } = options;
  const { allowedHosts = [], tls = false } = options;
  const storeDir = options.storeDir === undefined ? "/nix/store" : options.storeDir;
  const forwardAddresses = options.forwardAddresses === undefined ? ["127.0.0.1"] : options.forwardAddresses;
  const secretsDir =
    options.secretsDir === undefined ? join(baseFleet.project.stateDir, "secrets") : options.secretsDir;
  const tokenProblem = token === null ? null : validTokenProblem(token);
  if (tokenProblem) throw new NoheadError("usage", `the agent's token ${tokenProblem}`);
  if (storeDir !== null && (!storeDir.startsWith("/") || storeDir.endsWith("/"))) {
    throw new NoheadError(
      "usage",
      `storeDir must be an absolute path without a trailing slash, got ${storeDir}`,
    );
  }

  if (!Number.isInteger(maxMachines) || maxMachines < 1) {
    throw new NoheadError("usage", `maxMachines must be a positive integer, got ${maxMachines}`);
  }
  const buildsDir = join(baseFleet.project.stateDir, "builds");
  const flakePatterns = allowedFlakes.map((pattern) => {
    try {
      return flakePattern(pattern);
    } catch (error) {
      throw new NoheadError("usage", (error as Error).message, {
        hint: "e.g. --allow-flake 'github:myorg/*'",
      });
    }
  });
  const trust = onlyTrustedRunners
    ? new RunnerTrust(
        trustedPublicKeys.map((key) => {
          try {
            return parseTrustedKey(key);
          } catch (error) {
            throw new NoheadError("usage", (error as Error).message);
          }
        }),
        buildsDir,
      )
    : null;
  const sessions = new PageSessions();
  /**
   * Saved machines are checked again before they run (the rules may be stricter than when they
   * were saved, e.g. after an upgrade or with --only-trusted-runners added).
   */
  const checkSavedRunners = async (saved: ManifestMachine[]): Promise<void> => {
    const problems = await storePathProblems(
      saved.flatMap((m) => [m.runner, m.system]),
      { storeDir, trust },
    );
    const found = problems.flatMap((problem, n) =>
      problem ? [`${saved[Math.floor(n / 2)]?.name}: ${problem}`] : [],
    );
    if (found.length > 0) {
      throw new NoheadError("conflict", `saved machines may no longer run here: ${found.join("; ")}`, {
        hint: "send them again with POST /v1/vms/start",
      });
    }
  };

  /** The fleet as of now: the saved machines change with every start request. */
  const currentFleet = (): Fleet =>
    machines
      ? new Fleet(baseFleet.project, baseFleet.resultPath, machines.manifest, {
          supervise: baseFleet.supervise,
        })
      : baseFleet;
  const events =
    options.events ??
    (baseFleet.supervise ? FleetEvents.relaying(baseFleet) : new FleetEvents(() => currentFleet().status()));
  const startSchema = startRequestSchema({
    secretsDir,
    allowQemuArgs,
    allowWindows,
    forwardAddresses,
    storePathProblems: (paths) => storePathProblems(paths, { storeDir, trust }),
  });
  const longRunning = noIdleTimeout();

  const vms = new Hono<AgentEnv>()
    .get("/", (c) => c.json({ vms: currentFleet().status() }))
    .post("/start", longRunning, validate("json", startSchema), async (c) => {
      const body = c.req.valid("json");
      if (!machines) {
        throw new NoheadError("conflict", "this server runs its project's own machines and takes no others", {
          hint: "start them with `nohead run`, or send machines to a `nohead agent serve`",
        });
      }
      checkDependencies(body, machines);
      await checkSavedRunners(savedDependencies(body, machines.manifest.machines));
      checkSecretsExist(body);
      const known = new Set(currentFleet().names());
      const fresh = body.machines.map((m) => m.name).filter((n) => !known.has(n));
      if (known.size + fresh.length > maxMachines) {
        throw new NoheadError(
          "conflict",
          `this agent keeps at most ${maxMachines} machines; it has ${known.size} and the request adds ${fresh.length}`,
          {
            hint: "destroy machines you no longer need (DELETE /v1/vms/<name>), or raise the agent's --max-machines",
          },
        );
      }
      const authorizedKeys = body.authorizedKeys ?? [];
      machines.merge(body.machines, body.network, authorizedKeys);
      const fleet = currentFleet();
      const names = body.machines.map((m) => m.name);
      const start: StartOptions = {
        display: body.display ?? "none",
        // The client's display, never this server's own (inherited from whoever started it).
        displayEnv: body.displayEnv ?? {},
        fresh: body.fresh ?? false,
        recreate: body.recreate ?? false,
        keepFailed: body.keepFailed ?? false,
        ...(body.restart ? { restart: body.restart } : {}),
        extraArgs: body.qemuArgs ?? [],
        authorizedKeys,
      };
      /**
       * A new machine whose start failed before anything ran leaves no directory behind (its
       * definition stays, listed as not started, and counts against the cap until deleted).
       */
      const removeUnlaunched = (results: StartResult[]): StartResult[] => {
        for (const result of results) {
          if (result.ok || result.pid !== null || !fresh.includes(result.machine)) continue;
          const dir = vmPaths(fleet.project, result.machine).dir;
          if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
        }
        return results;
      };
      if (!wantsEventStream(c))
        return c.json({ machines: removeUnlaunched(await fleet.start(names, start)) });
      return eventStream(c, async (send) => {
        const results = await fleet.start(names, { ...start, onProgress: (p) => send("progress", p) });
        send("result", { machines: removeUnlaunched(results) });
      });
    })
    .post("/stop", longRunning, validate("json", StopRequest), async (c) => {
      // Every VM here: those running, waiting for a restart, and those whose start is in progress.
      const { timeoutSeconds } = c.req.valid("json");
      const reports = await currentFleet().stop(
        undefined,
        timeoutSeconds ? { powerdownMs: timeoutSeconds * 1000 } : {},
      );
      return c.json({ machines: reports });
    })
    .get("/:name", validate("param", VmNameParam), (c) => {
      const fleet = currentFleet();
      const [name] = resolveVm(fleet, c.req.valid("param").name);
      const [status] = fleet.status([name]);
      return c.json(status);
    })
    .post(
      "/:name/stop",
      longRunning,
      validate("param", VmNameParam),
      validate("json", StopRequest),
      async (c) => {
        const fleet = currentFleet();
        const [name] = resolveVm(fleet, c.req.valid("param").name);
        const { timeoutSeconds } = c.req.valid("json");
        const [report] = await fleet.stop(
          [name],
          timeoutSeconds ? { powerdownMs: timeoutSeconds * 1000 } : {},
        );
        if (!report?.ok)
          throw new NoheadError("failed", `could not be stopped: ${report?.error}`, { machine: name });
        return c.json(report);
      },
    )
    .post("/:name/restart", longRunning, validate("param", VmNameParam), async (c) => {
      const fleet = currentFleet();
      const [name] = resolveVm(fleet, c.req.valid("param").name);
      if (!fleet.hasBuild() || !fleet.manifest.machines.some((m) => m.name === name)) {
        throw new NoheadError("conflict", "cannot be restarted here: its machine definition is unknown", {
          machine: name,
          hint: "send it again with POST /v1/vms/start (or rebuild, for `nohead ui`)",
        });
      }
      await checkSavedRunners(fleet.withDependencies([name]).map((n) => fleet.machine(n)));
      const [stop] = await fleet.stop([name]);
      if (!stop?.ok)
        throw new NoheadError("failed", `could not be stopped: ${stop?.error}`, { machine: name });
      const results = await fleet.start([name], {
        display: "none",
        authorizedKeys: machines?.authorizedKeysOf(name) ?? [],
      });
      return c.json({ stop, machines: results });
    })
    .delete("/:name", longRunning, validate("param", VmNameParam), async (c) => {
      const fleet = currentFleet();
      const [name] = resolveVm(fleet, c.req.valid("param").name);
      const report = await fleet.destroy(name);
      if (!report.ok)
        throw new NoheadError("failed", `could not be destroyed: ${report.error}`, { machine: name });
      machines?.forget(name);
      return c.json(report);
    })
    .post(
      "/:name/exec",
      longRunning,
      validate("param", VmNameParam),
      validate("json", ExecRequest),
      async (c) => {
        const fleet = currentFleet();
        const [name] = resolveVm(fleet, c.req.valid("param").name);
        const { argv, timeoutSeconds = 60 } = c.req.valid("json");
        return c.json(await fleet.exec(name, argv, { timeoutMs: timeoutSeconds * 1000 }));
      },
    )
    .post(
      "/:name/exec/stream",
      longRunning,
      validate("param", VmNameParam),
      validate("json", ExecRequest),
      (c) => {
        const fleet = currentFleet();
        const [name] = resolveVm(fleet, c.req.valid("param").name);
        const { argv, timeoutSeconds = 60 } = c.req.valid("json");
        return eventStream(c, async (send) => {
          send("end", await streamedExec(fleet, name, argv, timeoutSeconds * 1000, send));
        });
      },
    )
    .get("/:name/logs", longRunning, validate("param", VmNameParam), validate("query", LogsQuery), (c) => {
      const fleet = currentFleet();
      const [name] = resolveVm(fleet, c.req.valid("param").name);
      const { follow = false, lines = 100 } = c.req.valid("query");
      const file = fleet.consoleLog(name);
      return eventStream(c, async (send, signal) => {
        for await (const line of followConsole(file, { lines, follow, signal })) send("line", line);
        send("end", "");
      });
    });

  const eventRoutes = new Hono<AgentEnv>().get("/", longRunning, (c) =>
    eventStream(c, async (send, signal) => {
      const unsubscribe = events.subscribe((event) => send("vm", event));
      await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
      unsubscribe();
    }),
  );

  const builds = new Hono<AgentEnv>().post("/", longRunning, validate("json", BuildRequest), (c) => {
    const { flake } = c.req.valid("json");
    if (!machines) {
      throw new NoheadError("conflict", "this server does not build flakes", {
        hint: "build with `nohead build`; agents (`nohead agent serve`) build for remote clients",
      });
    }
    const problem = flakeRefProblem(flake, flakePatterns);
    if (problem) {
      throw new HTTPException(403, { message: problem });
    }
    return eventStream(c, async (send) => {
      // Loaded here: Nix builds (execa, nixgen) are an agent's rare request, not a supervisor's.
      const { buildFlake, clientOutcome } = await import("./flake-build.ts");
      const { outcome, manifest } = await buildFlake(flake, buildsDir, (event) => send("build", event));
      if (outcome.error || outcome.failed.length > 0) {
        console.error(
          `build of ${flake} failed: ${outcome.error ?? outcome.failed.map((f) => `${f.machine}: ${f.error}`).join("\n")}`,
        );
      }
      send("result", { ...clientOutcome(outcome), machines: manifest?.machines ?? [] });
    });
  });

  const app = new Hono<AgentEnv>();
  app.onError(onAgentError);
  app.notFound(onAgentNotFound);
  return (
    app
      .use(
        "*",
        secureHeaders({
          contentSecurityPolicy: {
            defaultSrc: ["'none'"],
            scriptSrc: [NONCE],
            styleSrc: [NONCE],
            connectSrc: ["'self'"],
            imgSrc: ["'self'", "data:"],
            formAction: ["'self'"],
            frameAncestors: ["'none'"],
            baseUri: ["'none'"],
          },
        }),
      )
      // No browser reaches a unix socket (no token: the supervisor), so no DNS rebinding either.
      .use("*", requestGuard({ allowedHosts, checkHost: !tls && token !== null }))
      .get("/v1/health", (c) => c.json({ ok: true as const, version }))
      .use("/v1/*", token === null ? socketOwnerAuth() : tokenAuth({ token, sessions }))
      .use(
        "*",
        bodyLimit({
          maxSize: BODY_LIMIT_BYTES,
          onError: () => {
            throw new HTTPException(413, {
              message: `the request body is larger than ${BODY_LIMIT_BYTES} bytes`,
            });
          },
        }),
      )
      .route("/v1/vms", vms)
      .route("/v1/builds", builds)
      .route("/v1/events", eventRoutes)
      .route("/", token === null ? new Hono<AgentEnv>() : pageRoutes({ token, sessions, title, version }))
  );
}

/** The app's type, for the typed client: `hc<AgentApp>(url, { headers })`. */
export type AgentApp = ReturnType<typeof createApp>;

/** `[name]` when the fleet knows machine `name`; else a not-found error listing the known ones. */
function resolveVm(fleet: Fleet, name: string): [string] {
  const known = fleet.names();
  if (known.includes(name)) return [name];
  throw new NoheadError("not-found", `there is no machine named "${name}" here`, {
    hint: known.length > 0 ? `machines here: ${known.join(", ")}` : "no machine has been started here yet",
  });
}

/** Dependencies must be in the request or among the machines the agent already has. */
/** The saved machines a request's machines depend on, directly or not (not those it sends). */
function savedDependencies(body: StartRequest, saved: ManifestMachine[]): ManifestMachine[] {
  const requested = new Set(body.machines.map((m) => m.name));
  const found = new Map<string, ManifestMachine>();
  const visit = (name: string) => {
    const machine = saved.find((m) => m.name === name);
    if (requested.has(name) || found.has(name) || !machine) return;
    found.set(name, machine);
    for (const dep of machine.dependsOn) visit(dep);
  };
  for (const m of body.machines) for (const dep of m.dependsOn) visit(dep);
  return [...found.values()];
}

function checkDependencies(body: StartRequest, machines: MachineStore): void {
  const known = new Set([...body.machines, ...machines.manifest.machines].map((m) => m.name));
  const missing = body.machines.flatMap((m) =>
    m.dependsOn.filter((d) => !known.has(d)).map((d) => `${m.name} → ${d}`),
  );
  if (missing.length > 0) {
    throw new NoheadError(
      "usage",
      `machines depend on machines the agent was never given: ${missing.join(", ")}`,
      {
        hint: "send the dependencies in the same start request",
      },
    );
  }
}

/** Secret files must exist before anything is saved or created (a config error, 422). */
function checkSecretsExist(body: StartRequest): void {
  const missing = body.machines.flatMap((m) =>
    m.secrets
      .filter((s) => !existsSync(s.hostPath))
      .map((s) => `${m.name}: secret "${s.name}" is read from ${s.hostPath}, which does not exist`),
  );
  if (missing.length > 0) {
    throw new NoheadError("config", missing.join("; "), {
      hint: "create the secret files on the host that runs the machines (an agent: under its secrets directory) first",
    });
  }
}

function wantsEventStream(c: Context): boolean {
  return (c.req.header("Accept") ?? "").includes("text/event-stream");
}

/**
 * Answers with Server-Sent Events written by `body` through `send` (JSON data, in order), with
 * heartbeat comments while it is quiet; an error ends the stream with an `error` event holding
 * the same JSON as an error answer.
 */
/**
 * Runs `argv` in `name`'s guest, sending each piece of output as a `stdout`/`stderr` event (base64:
 * output is bytes) and resolving with how it ended; a command that could not start or outlived
 * its deadline is an end, not an error (the CLI turns them into exit codes 127 and 124).
 */
async function streamedExec(
  fleet: Fleet,
  name: string,
  argv: string[],
  timeoutMs: number,
  send: (event: string, data: unknown) => void,
): Promise<StreamedExecEnd> {
  try {
    const exit = await fleet.execStreaming(name, argv, {
      timeoutMs,
      onOutput: (stream, chunk) => send(stream, Buffer.from(chunk).toString("base64")),
    });
    return { ended: "exit", ...exit };
  } catch (error) {
    if (!(error instanceof GuestExecError)) throw error;
    if (error.reason !== "start-failed") return { ended: "timed-out", pid: error.pid ?? null };
    const why =
      error.cause instanceof Error && "desc" in error.cause ? String(error.cause.desc) : error.message;
    return { ended: "not-started", error: why };
  }
}

function eventStream(
  c: Context,
  body: (send: (event: string, data: unknown) => void, signal: AbortSignal) => Promise<void>,
): Response {
  return streamSSE(c, async (stream: SSEStreamingApi) => {
    const aborted = new AbortController();
    stream.onAbort(() => aborted.abort());
    let chain = Promise.resolve();
    const write = (text: () => Promise<void>) => {
      chain = chain.then(text).catch(() => aborted.abort());
    };
    const send = (event: string, data: unknown) =>
      write(() => stream.writeSSE({ event, data: typeof data === "string" ? data : JSON.stringify(data) }));
    const heartbeat = setInterval(
      () => write(() => stream.write(": heartbeat\n\n").then(() => undefined)),
      HEARTBEAT_MS,
    );
    try {
      await body(send, aborted.signal);
    } catch (error) {
      const { status, body: answer } = errorAnswer(error);
      send("error", { status, ...answer });
    } finally {
      clearInterval(heartbeat);
      await chain;
    }
  });
}
