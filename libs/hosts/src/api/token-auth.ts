/**
 * Who may use the agent: a client sending `Authorization: Bearer <token>` (hono's bearerAuth,
 * which compares SHA-256 digests in constant time), or the status page sending the id of a
 * session this server gave it in {@link SESSION_HEADER}. No cookie is ever an authentication,
 * and no request is trusted for where it comes from (guests reach the host's loopback).
 */
import type { Context, MiddlewareHandler } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { HTTPException } from "hono/http-exception";
import { type PageSessions, SESSION_HEADER } from "./page-sessions.ts";

/** How the current request was authenticated (set by {@link tokenAuth}). */
export type AuthVia = "bearer" | "session";

/**
 * Requires the bearer token or a live page session.
 *
 * @example
 * app.use("/v1/*", tokenAuth({ token, sessions }));
 */
export function tokenAuth({
  token,
  sessions,
}: {
  token: string;
  sessions: PageSessions;
}): MiddlewareHandler<{ Variables: { authVia: AuthVia } }> {
  const bearer = bearerAuth({ token, realm: "nohead" });
  return async function tokenAuth(c, next) {
    if (c.req.header("Authorization") !== undefined) {
      c.set("authVia", "bearer");
      // bearerAuth is typed for the default environment; it reads only the request.
      return bearer(c as unknown as Context, next);
    }
    if (!sessions.isValid(c.req.header(SESSION_HEADER))) {
      throw new HTTPException(401, {
        message: "a valid token is required",
        res: new Response(null, { status: 401, headers: { "WWW-Authenticate": 'Bearer realm="nohead"' } }),
      });
    }
    c.set("authVia", "session");
    return next();
  };
}
