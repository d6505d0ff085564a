/**
 * Which nixpkgs `nohead build -f` builds against. In this order, the first one given wins:
 * `--nixpkgs`, `NOHEAD_NIXPKGS`, `NOHEAD_PINNED_NIXPKGS` (set by the packaged CLI's wrapper to the
 * nixpkgs its flake pins), then the nixpkgs locked in nohead's own flake.lock (a checkout), fetched
 * by its narHash (no download when it is already in the Nix store). Never NIX_PATH's `<nixpkgs>`:
 * a build must not depend on whatever channel the machine has.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { NoheadError } from "@nohead/schema";
import { NOHEAD_ROOT } from "./expressions.ts";
import { runNix } from "./nix-command.ts";
import { NixError } from "./nix-error.ts";
import { toNix } from "./to-nix.ts";

/** Where a nixpkgs choice came from, as the user would name it. */
export type NixpkgsOrigin = "--nixpkgs" | "NOHEAD_NIXPKGS" | "NOHEAD_PINNED_NIXPKGS" | "flake.lock";

/** A nixpkgs to build with: a directory, a flake reference, or a flake.lock entry. */
export type NixpkgsChoice =
  | { origin: NixpkgsOrigin; kind: "path"; path: string; label: string }
  | { origin: NixpkgsOrigin; kind: "flake"; ref: string; label: string }
  | { origin: "flake.lock"; kind: "locked"; locked: Record<string, string | number>; label: string };

/** What nohead looked at before nohead's own flake.lock. */
const NOTHING_GIVEN =
  "no nixpkgs to build with: --nixpkgs is not given, NOHEAD_NIXPKGS and NOHEAD_PINNED_NIXPKGS (set by the packaged nohead) are not set";

/** How to give nixpkgs, for every message that says none was found. */
export const NIXPKGS_HINT =
  "give one with `--nixpkgs <path|flake-ref>` or `NOHEAD_NIXPKGS=<path|flake-ref>` (e.g. github:NixOS/nixpkgs/nixos-25.05), or build through a flake with `-c flake#attr`";

/**
 * The nixpkgs `build -f` will use, without fetching anything. Throws a `not-found` NoheadError
 * naming everything it looked for when there is none.
 *
 * @example
 * chooseNixpkgs({ flag: undefined, env: { NOHEAD_NIXPKGS: "/src/nixpkgs" }, cwd: "/p" })
 * // => { origin: "NOHEAD_NIXPKGS", kind: "path", path: "/src/nixpkgs", label: "/src/nixpkgs" }
 */
export function chooseNixpkgs({
  flag,
  env = process.env,
  cwd,
  root = NOHEAD_ROOT,
}: {
  flag: string | undefined;
  env?: Record<string, string | undefined>;
  cwd: string;
  root?: string;
}): NixpkgsChoice {
  const given: [NixpkgsOrigin, string | undefined][] = [
    ["--nixpkgs", flag],
    ["NOHEAD_NIXPKGS", env.NOHEAD_NIXPKGS],
    ["NOHEAD_PINNED_NIXPKGS", env.NOHEAD_PINNED_NIXPKGS],
  ];
  for (const [origin, value] of given) {
    if (value) return interpret(origin, value, cwd);
  }
  const lockFile = join(root, "flake.lock");
  const locked = lockedNixpkgs(lockFile);
  if (typeof locked === "string") {
    throw new NoheadError("not-found", `${NOTHING_GIVEN}, and ${locked}`, { hint: NIXPKGS_HINT });
  }
  return { origin: "flake.lock", kind: "locked", locked, label: describeLocked(locked, lockFile) };
}

/**
 * The directory of `choice` (a store path for flakes and locked entries), fetching it when it is
 * not in the Nix store yet (`downloadAttempts` caps Nix's retries: doctor checks, build fetches).
 * Throws a `not-found` NoheadError saying which choice failed and why.
 */
export async function realiseNixpkgs(
  choice: NixpkgsChoice,
  { signal, downloadAttempts }: { signal?: AbortSignal; downloadAttempts?: number } = {},
): Promise<string> {
  if (choice.kind === "path") {
    if (existsSync(join(choice.path, "default.nix"))) return choice.path;
    throw new NoheadError(
      "not-found",
      `nixpkgs from ${choice.origin} (${choice.path}) is not a nixpkgs source: it has no default.nix`,
      { hint: `point ${choice.origin} at a nixpkgs checkout or a flake reference; ${NIXPKGS_HINT}` },
    );
  }
  const expr =
    choice.kind === "flake"
      ? `(builtins.getFlake ${toNix(choice.ref)}).outPath`
      : `(builtins.fetchTree ${toNix(choice.locked, { compact: true })}).outPath`;
  try {
    const attempts = downloadAttempts ? ["--option", "download-attempts", String(downloadAttempts)] : [];
    const { stdout } = await runNix("nix", ["eval", "--impure", "--raw", ...attempts, "--expr", expr], {
      signal,
    });
    return stdout.trim();
  } catch (error) {
    if (!(error instanceof NixError)) throw error;
    const why = error.message.split("\n")[0] ?? error.message;
    const where =
      choice.kind === "locked"
        ? `${NOTHING_GIVEN}, and the nixpkgs pinned in ${choice.label} is not in the Nix store and could not be fetched`
        : `nixpkgs from ${choice.origin} (${choice.label}) could not be fetched`;
    throw new NoheadError("not-found", `${where}: ${why}`, {
      hint:
        choice.kind === "locked"
          ? `fetch it once while online (\`nix flake prefetch ${prefetchRef(choice.locked)}\`), or ${NIXPKGS_HINT}`
          : `check the reference, or ${NIXPKGS_HINT}`,
      cause: error,
    });
  }
}

function interpret(origin: NixpkgsOrigin, value: string, cwd: string): NixpkgsChoice {
  const looksLikePath =
    /^(\/|\.\.?(\/|$))/.test(value) || (!value.includes(":") && existsSync(resolve(cwd, value)));
  if (!looksLikePath) return { origin, kind: "flake", ref: value, label: value };
  const path = resolve(cwd, value);
  if (!existsSync(path)) {
    throw new NoheadError(
      "not-found",
      `nixpkgs from ${origin} (${value}) does not exist (looked at ${path})`,
      {
        hint: `fix or unset ${origin}; ${NIXPKGS_HINT}`,
      },
    );
  }
  return { origin, kind: "path", path, label: path };
}

/** The root's nixpkgs input's `locked` entry of a flake.lock, or why there is none. */
function lockedNixpkgs(lockFile: string): Record<string, string | number> | string {
  if (!existsSync(lockFile)) return `${lockFile} does not exist (only a checkout of nohead has one)`;
  let lock: unknown;
  try {
    lock = JSON.parse(readFileSync(lockFile, "utf8"));
  } catch (error) {
    return `${lockFile} is not valid JSON (${(error as Error).message})`;
  }
  const nodes = field(lock, "nodes");
  const rootName = field(lock, "root");
  const input = field(
    field(field(nodes, typeof rootName === "string" ? rootName : "root"), "inputs"),
    "nixpkgs",
  );
  const locked = field(field(nodes, typeof input === "string" ? input : ""), "locked");
  const entries = locked && typeof locked === "object" ? Object.entries(locked) : [];
  const valid =
    entries.length > 0 &&
    entries.every(([, v]) => typeof v === "string" || typeof v === "number") &&
    typeof field(locked, "narHash") === "string";
  return valid
    ? (Object.fromEntries(entries) as Record<string, string | number>)
    : `${lockFile} has no locked nixpkgs input with a narHash`;
}

function field(value: unknown, key: string): unknown {
  return value && typeof value === "object" && Object.hasOwn(value, key)
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

function prefetchRef(locked: Record<string, string | number>): string {
  return locked.type === "github"
    ? `github:${locked.owner}/${locked.repo}/${locked.rev}`
    : String(locked.url ?? locked.path ?? locked.type);
}

function describeLocked(locked: Record<string, string | number>, lockFile: string): string {
  return `${lockFile} (${prefetchRef(locked)})`;
}
