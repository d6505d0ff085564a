/**
 * The status page's sessions: random ids kept in this server's memory, each with an expiry, ended
 * at sign-out. The page holds its id in `sessionStorage` (per origin: scheme, host *and port*)
 * and sends it in the {@link SESSION_HEADER} header — never in a cookie, because browsers send
 * cookies to every port of a host, and a guest's forwarded web port on 127.0.0.1 would receive
 * it. An id is worth nothing to another server (another agent with the same token, `nohead ui`),
 * and nothing after sign-out, expiry or a restart.
 */
import { randomBytes } from "node:crypto";
import { sameSecret } from "./same-secret.ts";

/** The header the status page sends its session id in. */
export const SESSION_HEADER = "X-Nohead-Session";
/** How long a session lasts from sign-in. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** Most sessions kept at once: signing in again past it ends the oldest. */
export const MAX_SESSIONS = 64;

export class PageSessions {
  private readonly expiries = new Map<string, number>();

  /**
   * @example
   * const sessions = new PageSessions();
   * const { id } = sessions.create();
   * sessions.isValid(id); // true, until sessions.revoke(id) or 12 hours pass
   */
  constructor(
    readonly ttlMs = SESSION_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** A new session: 32 random bytes, base64url. */
  create(): { id: string; expiresAt: number } {
    const id = randomBytes(32).toString("base64url");
    const expiresAt = this.now() + this.ttlMs;
    if (this.expiries.size >= MAX_SESSIONS) {
      const oldest = this.expiries.keys().next().value;
      if (oldest !== undefined) this.expiries.delete(oldest);
    }
    this.expiries.set(id, expiresAt);
    return { id, expiresAt };
  }

  /** Whether `id` is a live session of this server (an expired one is forgotten). */
  isValid(id: string | undefined): boolean {
    if (id === undefined) return false;
    for (const [known, expiresAt] of this.expiries) {
      if (!sameSecret(id, known)) continue;
      if (expiresAt > this.now()) return true;
      this.expiries.delete(known);
      return false;
    }
    return false;
  }

  /** Ends session `id` (sign-out); an unknown id changes nothing. */
  revoke(id: string): void {
    for (const known of this.expiries.keys()) if (sameSecret(id, known)) this.expiries.delete(known);
  }
}
