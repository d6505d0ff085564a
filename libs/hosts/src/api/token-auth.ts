/**
 * Who may use the agent: a client sending `Authorization: Bearer <token>` (hono's bearerAuth,
 * which compares SHA-256 digests in constant time), or a browser holding the session cookie the
 * login form set. Cookie-authenticated requests that change something must also carry the CSRF
 * header the status page's script sets: another site can make a browser send the cookie, but not
 * a custom header with a value only our page knows.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { getCookie } from "hono/cookie";
import { HTTPException } from "hono/http-exception";

/** The session cookie's name. */
export const SESSION_COOKIE = "nohead_session";
/** The header carrying the CSRF value on cookie-authenticated state changes. */
export const CSRF_HEADER = "X-Nohead-CSRF";

/** How the current request was authenticated (set by {@link tokenAuth}). */
export type AuthVia = "bearer" | "cookie";

const derive = (token: string, purpose: string) =>
  createHmac("sha256", token).update(`nohead-${purpose}-v1`).digest("base64url");

/** The session cookie value for `token` (derived, so the browser never holds the token itself). */
export function sessionValue(token: string): string {
  return derive(token, "session");
}

/** The CSRF value the page's script sends in {@link CSRF_HEADER}. */
export function csrfValue(token: string): string {
  return derive(token, "csrf");
}

/** Constant-time string equality (lengths are not secret: both sides are fixed-length digests). */
export function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Requires the bearer token or the session cookie (+ CSRF header for state changes).
 *
 * @example
 * app.use("/v1/*", tokenAuth({ token }));
 */
export function tokenAuth({
  token,
}: {
  token: string;
}): MiddlewareHandler<{ Variables: { authVia: AuthVia } }> {
  const bearer = bearerAuth({ token, realm: "nohead" });
  const session = sessionValue(token);
  const csrf = csrfValue(token);
  return async function tokenAuth(c, next) {
    if (c.req.header("Authorization") !== undefined) {
      c.set("authVia", "bearer");
      // bearerAuth is typed for the default environment; it reads only the request.
      return bearer(c as unknown as Context, next);
    }
    if (!sameSecret(getCookie(c, SESSION_COOKIE), session)) {
      throw new HTTPException(401, {
        message: "a valid token is required",
        res: new Response(null, { status: 401, headers: { "WWW-Authenticate": 'Bearer realm="nohead"' } }),
      });
    }
    if (!SAFE_METHODS.has(c.req.method) && !sameSecret(c.req.header(CSRF_HEADER), csrf)) {
      throw new HTTPException(403, {
        message: `cookie-authenticated ${c.req.method} requests need the ${CSRF_HEADER} header the status page sends`,
      });
    }
    c.set("authVia", "cookie");
    return next();
  };
}
