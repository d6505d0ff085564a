/**
 * The agent's HTTP API (`/v1/…`) and status page, as a Hono app over the same Fleet the CLI uses.
 * Every request is authenticated (but `/v1/health`), size-limited and validated by a strict zod
 * schema before anything runs; every error becomes one JSON shape in one `onError`. The machines
 * an agent is given are saved in its state dir, and VM state lives there too, so a restarted agent
 * finds, restarts and stops the VMs it started before.
 */
import { join } from "node:path";
import { NoheadError } from "@nohead/schema";
import { Fleet, FleetEvents, type StartOptions } from "@nohead/supervisor";
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
import { buildFlake } from "./flake-build.ts";
import type { MachineStore } from "./machine-store.ts";
import { type AgentBindings, noIdleTimeout } from "./no-idle-timeout.ts";
import { pageRoutes } from "./page/page-routes.tsx";
import { storePathProblem } from "./store-path.ts";
import { socketOwnerAuth } from "./socket-owner-auth.ts";
import { type AuthVia, tokenAuth } from "./token-auth.ts";
import { validTokenProblem } from "./token-file.ts";
import { validate } from "./validate.ts";

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
  /** Accept `qemuArgs` in start requests (they can do anything QEMU can). Default false. */
  allowQemuArgs?: boolean;
  /**
   * Runner and system paths must be inside this directory and exist. Default /nix/store; null:
   * any absolute path that exists (the supervisor runs its own user's builds, wherever they are).
   */
  storeDir?: string | null;
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
  const { machines, title = "nohead" } = options;
  const storeDir = options.storeDir === undefined ? "/nix/store" : options.storeDir;
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

  /** The fleet as of now: the saved machines change with every start request. */
  const currentFleet = (): Fleet =>
    machines ? new Fleet(baseFleet.project, baseFleet.resultPath, machines.manifest) : baseFleet;
  const events = options.events ?? new FleetEvents(() => currentFleet().status());
  const startSchema = startRequestSchema({
    storeDir,
    secretsDir,
    allowQemuArgs,
    allowWindows,
    storePathProblem: (path) => storePathProblem(path, storeDir),
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
      const authorizedKeys = body.authorizedKeys ?? [];
      machines.merge(body.machines, body.network, authorizedKeys);
      const fleet = currentFleet();
      const names = body.machines.map((m) => m.name);
      const start: StartOptions = {
        display: body.display ?? "none",
        fresh: body.fresh ?? false,
        recreate: body.recreate ?? false,
        extraArgs: body.qemuArgs ?? [],
        authorizedKeys,
      };
      if (!wantsEventStream(c)) return c.json({ machines: await fleet.start(names, start) });
      return eventStream(c, async (send) => {
        const results = await fleet.start(names, { ...start, onProgress: (p) => send("progress", p) });
        send("result", { machines: results });
      });
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
    const buildsDir = join(baseFleet.project.stateDir, "builds");
    return eventStream(c, async (send) => {
      const { outcome, manifest } = await buildFlake(flake, buildsDir, (event) => send("build", event));
      send("result", { ...outcome, machines: manifest?.machines ?? [] });
    });
  });

  const app = new Hono<AgentEnv>();
  app.onError(onAgentError);
  app.notFound(onAgentNotFound);
  return app
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
    .get("/v1/health", (c) => c.json({ ok: true as const, version }))
    .use("/v1/*", token === null ? socketOwnerAuth() : tokenAuth({ token }))
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
    .route(
      "/",
      token === null ? new Hono<AgentEnv>() : pageRoutes({ fleet: currentFleet, token, title, version }),
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

function wantsEventStream(c: Context): boolean {
  return (c.req.header("Accept") ?? "").includes("text/event-stream");
}

/**
 * Answers with Server-Sent Events written by `body` through `send` (JSON data, in order), with
 * heartbeat comments while it is quiet; an error ends the stream with an `error` event holding
 * the same JSON as an error answer.
 */
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
