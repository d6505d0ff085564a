/**
 * Which flake references an agent builds (`--allow-flake PATTERN`, none by default: builds are
 * off until the operator lists what to build). A build evaluates the flake and fetches its inputs
 * with the agent's user's file access, so an allowed flake is code the operator trusts. Never
 * allowed, whatever the patterns: references to local files (`path:`, `file:`, `git+file:`,
 * `tarball+file:`, bare or relative paths) — they copied the agent's state dir, its SSH key
 * included, into the world-readable store — and registry names (`nixpkgs`, `flake:x`), which
 * the registry may point anywhere.
 */

/** Schemes a flake reference may use (remote sources only). */
const REMOTE_SCHEMES = [
  "github:",
  "gitlab:",
  "sourcehut:",
  "git+https://",
  "git+ssh://",
  "git+http://",
  "https://",
  "http://",
  "hg+https://",
];

/** Characters a `*` of a pattern matches: one name or number, never `/`, `?`, `&`, `=`, `:`, `@`. */
const WILDCARD = "[A-Za-z0-9._-]+";

/**
 * Turns an operator's pattern into a matcher of whole flake references without `#attr`.
 * `*` stands for one name (`github:myorg/*` allows `github:myorg/fleet`, not
 * `github:myorg/fleet?host=elsewhere` nor `github:myorg/fleet/branch`); the rest is literal.
 */
export function flakePattern(pattern: string): RegExp {
  if (!REMOTE_SCHEMES.some((s) => pattern.startsWith(s))) {
    throw new Error(
      `an allowed flake pattern must start with a remote scheme (${REMOTE_SCHEMES.join(" ")}), got ${JSON.stringify(pattern)}`,
    );
  }
  const literal = pattern.split("*").map((part) => part.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&"));
  return new RegExp(`^${literal.join(WILDCARD)}$`);
}

/**
 * Why `installable` (`ref#attr`) may not be built under `patterns`, or null when it may.
 *
 * @example
 * flakeRefProblem("github:me/fleet#default", [flakePattern("github:me/*")]) // => null
 * flakeRefProblem("path:..#x", [flakePattern("github:me/*")]) // => "… local files …"
 */
export function flakeRefProblem(installable: string, patterns: RegExp[]): string | null {
  const ref = installable.slice(0, installable.lastIndexOf("#"));
  if (!REMOTE_SCHEMES.some((s) => ref.startsWith(s))) {
    return `${JSON.stringify(ref)} is not a remote flake: the agent never builds local files (path:, file:, git+file:, paths) or registry names; use github:, gitlab:, git+https:// or https://`;
  }
  if (patterns.length === 0) {
    return "this agent builds no flakes: its operator allows none (agent option --allow-flake)";
  }
  if (!patterns.some((p) => p.test(ref))) {
    return `${JSON.stringify(ref)} is not among the flakes this agent's operator allows (--allow-flake)`;
  }
  return null;
}
