/**
 * `nix build` of a flake on the agent's host (hosts with `closures: "agent-builds"`): the same
 * build job the CLI runs, linked under the agent's state dir (the link is a GC root, so the
 * machines' closures stay while the agent keeps them), and the built machines read from the
 * result's manifest so a client can start them next.
 */
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
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
  const outcome = await runBuildJob(
    {
      source: { kind: "flake", ref: flake, label: flake },
      resultLink: link,
      images: false,
      showTrace: false,
      keepGoing: false,
      jobs: undefined,
      nixpkgsPath: undefined,
      cwd: buildsDir,
    },
    onEvent,
  );
  return { outcome, manifest: outcome.resultLink ? loadManifest(outcome.resultLink) : null };
}
