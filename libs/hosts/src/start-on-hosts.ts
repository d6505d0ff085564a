/**
 * Starts a build's machines where they belong: places them (the `host` option or `--host`), gets
 * their closures to each host the way it declares (nothing for this computer, `nix copy` over SSH,
 * or a build on the agent itself), then starts every host's machines in parallel. One host's
 * failure becomes that host's error; the other hosts still start.
 */
import { configError, type ManifestMachine } from "@nohead/schema";
import type { StartResult } from "@nohead/supervisor";
import { closureRoots, copyClosure } from "./copy-closure.ts";
import type { HostStartOptions } from "./host.ts";
import type { HostDirectory } from "./open-hosts.ts";
import { placeMachines } from "./place-machines.ts";

export interface HostStartReport {
  host: string;
  /** Per-machine results (empty when the host failed as a whole). */
  results: StartResult[];
  /** Why the whole host failed (unreachable, copy or build failed), or null. */
  error: string | null;
}

export interface StartOnHostsOptions extends HostStartOptions {
  /** `--host NAME`: every machine there, whatever its `host` option. */
  override?: string | undefined;
  /** The flake the machines came from (`ref#attr`): agent-builds hosts build it themselves. */
  flake?: string | undefined;
}

/**
 * Starts `machines` on their hosts.
 *
 * @example
 * const reports = await startOnHosts(fleet.manifest.machines, openHosts(fleet.project, supervisorCommand), { flake: "github:me/fleet#default" });
 */
export async function startOnHosts(
  machines: ManifestMachine[],
  hosts: HostDirectory,
  options: StartOnHostsOptions = {},
): Promise<HostStartReport[]> {
  const { override, flake, ...start } = options;
  const placed = placeMachines(machines, { known: hosts.declared, override });
  for (const [name] of placed) {
    const host = hosts.get(name);
    if (host.closures === "agent-builds" && !flake) {
      throw configError(
        `host ${name} builds its machines itself, but these machines do not come from a flake`,
        'build with `nohead build -c <flake>#<attr>` (the agent builds the same reference), or use closures "nix-copy"',
      );
    }
  }
  return Promise.all(
    [...placed.entries()].map(async ([name, wanted]): Promise<HostStartReport> => {
      const host = hosts.get(name);
      try {
        let toStart = wanted;
        if (host.closures === "nix-copy") {
          await copyClosure(host, closureRoots(wanted));
        } else if (host.closures === "agent-builds" && host.build && flake) {
          const { outcome, machines: built } = await host.build(flake);
          if (outcome.error) throw new Error(`the build on host ${name} failed: ${outcome.error}`);
          toStart = wanted.map((m) => {
            const there = built.find((b) => b.name === m.name);
            if (!there) throw new Error(`the build of ${flake} on host ${name} has no machine ${m.name}`);
            return there;
          });
        }
        return { host: name, results: await host.start(toStart, start), error: null };
      } catch (error) {
        // Errors from the host's API name it already ("host lab: …"); others get its name.
        const message = error instanceof Error ? error.message : String(error);
        return {
          host: name,
          results: [],
          error: message.startsWith(`host ${name}: `) ? message : `host ${name}: ${message}`,
        };
      }
    }),
  );
}
