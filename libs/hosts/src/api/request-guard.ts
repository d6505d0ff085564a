/**
 * Checks made on every request before authentication, against browsers being used as a
 * confused deputy:
 * - `Host` must name this server: an IP literal, `localhost`, or a name the operator listed.
 *   A page of `evil.example` whose DNS answer changes to 127.0.0.1 (DNS rebinding) sends
 *   `Host: evil.example` and is refused. Skipped under TLS: a rebound name fails the certificate.
 * - A request that changes something (not GET/HEAD/OPTIONS) must not come from another origin:
 *   `Sec-Fetch-Site` other than `same-origin`/`none`, or an `Origin` other than this server's,
 *   is refused. Another port of 127.0.0.1 (a guest's forwarded web port) is another origin.
 */
import type { MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";

export interface RequestGuardOptions {
  /** Host names accepted besides IP literals and `localhost` (the agent's `--allow-host`). */
  allowedHosts: string[];
  /** Whether to check `Host` at all (off under TLS). */
  checkHost: boolean;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** Whether `hostname` (as in a URL: IPv6 in brackets) can be trusted not to be rebound. */
function isKnownHost(hostname: string, allowed: Set<string>): boolean {
  const name = hostname.toLowerCase();
  return IPV4.test(name) || name.startsWith("[") || name === "localhost" || allowed.has(name);
}

/**
 * @example
 * app.use("*", requestGuard({ allowedHosts: ["lab.example.org"], checkHost: true }));
 */
export function requestGuard({ allowedHosts, checkHost }: RequestGuardOptions): MiddlewareHandler {
  const allowed = new Set(allowedHosts.map((h) => h.toLowerCase()));
  return async function requestGuard(c, next) {
    const url = new URL(c.req.url);
    if (checkHost && !isKnownHost(url.hostname, allowed)) {
      throw new HTTPException(403, {
        message: `this server does not answer to the host name ${JSON.stringify(url.hostname)}`,
      });
    }
    if (!SAFE_METHODS.has(c.req.method)) {
      const site = c.req.header("Sec-Fetch-Site");
      const origin = c.req.header("Origin");
      if (
        (site !== undefined && site !== "same-origin" && site !== "none") ||
        (origin !== undefined && origin !== url.origin)
      ) {
        throw new HTTPException(403, {
          message: `${c.req.method} requests from another site are refused (Origin ${origin ?? "none"}, Sec-Fetch-Site ${site ?? "none"})`,
        });
      }
    }
    return next();
  };
}
