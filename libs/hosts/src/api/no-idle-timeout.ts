/**
 * Lifts Bun.serve's idle timeout for one request. Bun closes a connection that stays silent for
 * `idleTimeout` seconds, which would cut a long start, an exec, a build or a quiet log stream;
 * `server.timeout(request, 0)` disables it for that request only. Outside Bun.serve (tests call
 * `app.request()`) there is no server and nothing to do.
 */
import type { MiddlewareHandler } from "hono";

/** What the agent's Bun.serve passes as `env` to `app.fetch`. */
export interface AgentBindings {
  server?: { timeout(request: Request, seconds: number): void };
}

/** Middleware for long-running routes. */
export function noIdleTimeout(): MiddlewareHandler<{ Bindings: AgentBindings }> {
  return async function noIdleTimeout(c, next) {
    c.env?.server?.timeout(c.req.raw, 0);
    await next();
  };
}
