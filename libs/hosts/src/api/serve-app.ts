/**
 * Serves the host API app on Bun.serve: on TCP (an agent, optionally TLS) or on a unix socket
 * (the project's supervisor). Both pass Bun's server to the app as its `env`, so long-running
 * routes can lift Bun's idle timeout for their own request (no-idle-timeout.ts).
 */
import type { AgentApp } from "./app.ts";

/** Bun closes connections silent for this long; long routes (start, exec, logs, events) lift it. */
export const IDLE_TIMEOUT_SECONDS = 60;

export type AppListen =
  | { hostname: string; port: number; tls?: { cert: string; key: string } }
  | { unix: string };

export interface ServedApp {
  /** The TCP port (0 for a unix socket). */
  port: number;
  /** Requests being answered now, streams included (until their body ends or the client leaves). */
  activeRequests(): number;
  /** Requests received since it started. */
  requestsReceived(): number;
  stop(): Promise<void>;
}

/** `response` with `done` called once its body has been sent or abandoned. */
function onBodyEnd(response: Response, done: () => void): Response {
  if (!response.body) {
    done();
    return response;
  }
  let ended = false;
  const end = () => {
    if (!ended) {
      ended = true;
      done();
    }
  };
  const reader = response.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done: finished } = await reader.read();
        if (finished) {
          end();
          controller.close();
        } else controller.enqueue(value);
      } catch (error) {
        end();
        controller.error(error);
      }
    },
    cancel(reason) {
      end();
      return reader.cancel(reason);
    },
  });
  return new Response(body, response);
}

/**
 * Serves `app` where `listen` says.
 *
 * @example
 * const served = serveApp(createApp({ fleet, token, version }), { hostname: "127.0.0.1", port: 0 });
 */
export function serveApp(app: AgentApp, listen: AppListen): ServedApp {
  let active = 0;
  let received = 0;
  const fetch = async (request: Request, server: Bun.Server<undefined>) => {
    active++;
    received++;
    try {
      return onBodyEnd(await app.fetch(request, { server }), () => active--);
    } catch (error) {
      active--;
      throw error;
    }
  };
  const server =
    "unix" in listen
      ? // Bun's types take no idleTimeout for unix sockets; long routes lift it per request anyway.
        Bun.serve({ unix: listen.unix, fetch })
      : Bun.serve({
          hostname: listen.hostname,
          port: listen.port,
          idleTimeout: IDLE_TIMEOUT_SECONDS,
          ...(listen.tls ? { tls: listen.tls } : {}),
          fetch,
        });
  return {
    port: server.port ?? 0,
    activeRequests: () => active,
    requestsReceived: () => received,
    stop: () => server.stop(true),
  };
}
