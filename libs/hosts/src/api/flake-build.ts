/**
 * `nix build` of a flake on the agent's host (hosts with `closures: "agent-builds"`): the same
 * build job the CLI runs, linked under the agent's state dir (the link is a GC root, so the
 * machines' closures stay while the agent keeps them), and the built machines read from the
 * result's manifest so a client can start them next. Nix runs in an empty temporary directory,
 * so nothing relative reaches the state dir, and the errors a client gets are cut to Nix's
 * message line and location: a failing evaluation can quote the files it read.
 */
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BuildEvent, type BuildOutcome, runBuildJob } from "@nohead/nixgen";
import type { Manifest } from "@nohead/schema";
import { loadManifest } from "@nohead/supervisor";

export interface FlakeBuildResult {
  outcome: BuildOutcome;
  /** The built manifest (null when nothing was linked). */
  manifest: Manifest | null;
}

/**
 * Builds `flake` (`ref#attr`) into `<buildsDir>/<hash of the ref>` and reports progress.
 *
 * @example
 * const { outcome, manifest } = await buildFlake("github:me/fleet#default", "/var/lib/nohead-agent/builds", console.log);
 */
export async function buildFlake(
  flake: string,
  buildsDir: string,
  onEvent: (event: BuildEvent) => void,
): Promise<FlakeBuildResult> {
  mkdirSync(buildsDir, { recursive: true, mode: 0o700 });
  const link = join(buildsDir, createHash("sha256").update(flake).digest("hex").slice(0, 16));
  const emptyDir = mkdtempSync(join(tmpdir(), "nohead-agent-build-"));
  const outcome = await runBuildJob(
    {
      source: { kind: "flake", ref: flake, label: flake },
      resultLink: link,
      images: false,
      showTrace: false,
      keepGoing: false,
      jobs: undefined,
      nixpkgsPath: undefined,
      cwd: emptyDir,
    },
    onEvent,
  ).finally(() => rmSync(emptyDir, { recursive: true, force: true }));
  return { outcome, manifest: outcome.resultLink ? loadManifest(outcome.resultLink) : null };
}

/** Longest Nix message line a client gets back. */
const MAX_MESSAGE = 200;

/**
 * What a client may see of a Nix error: its first line (at most 200 characters) and the location
 * it points at — never the source excerpt or the rest of a message, which can hold file contents
 * (`throw (readFile …)` made Nix print a private key).
 *
 * @example
 * clientNixError("undefined variable 'x'\n\n at /nix/store/…-source/flake.nix:3:5:\n 3|   x = y;")
 * // => "undefined variable 'x' (at /nix/store/…-source/flake.nix:3:5)"
 */
export function clientNixError(message: string): string {
  const first = message.split("\n").find((line) => line.trim() !== "") ?? "nix failed";
  const line = first.trim().replace(/^error:\s*/, "");
  const cut = line.length > MAX_MESSAGE ? `${line.slice(0, MAX_MESSAGE)}…` : line;
  const at = [...message.matchAll(/at (\/[^\s:]+|«[^»]+»):(\d+):(\d+):/g)].at(-1);
  return at ? `${cut} (at ${at[1]}:${at[2]}:${at[3]})` : cut;
}

/** `outcome` with every error cut by {@link clientNixError}, for a client. */
export function clientOutcome(outcome: BuildOutcome): BuildOutcome {
  return {
    ...outcome,
    error: outcome.error === null ? null : clientNixError(outcome.error),
    failed: outcome.failed.map((f) => ({ ...f, error: clientNixError(f.error) })),
  };
}
