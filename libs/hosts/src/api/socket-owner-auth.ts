/**
 * The auth of the project's supervisor: none in the request. The app is served only on a unix
 * socket of mode 0600 inside the user's private runtime directory, so the kernel has already
 * checked that the caller is the socket's owner — the same user who could run the VMs directly.
 * Everything after auth (body limits, validation) runs as for an agent.
 */
import type { MiddlewareHandler } from "hono";

/** Middleware standing where tokenAuth stands on an agent. */
export function socketOwnerAuth(): MiddlewareHandler {
  return async function socketOwnerAuth(_c, next) {
    await next();
  };
}
