/** Compares secrets in constant time, so a wrong guess learns nothing from how long it took. */
import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Whether `given` equals `expected`; both are hashed first, so neither length nor content leaks.
 *
 * @example
 * sameSecret(request.header("X-Nohead-Session"), knownId)
 */
export function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
