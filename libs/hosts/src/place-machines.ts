/**
 * Which host runs which machine: the machine's `host` option (configs.nix), or `--host NAME` for
 * all of them, else this computer ("local"). A machine and the machines it depends on must run on
 * one host: an agent starts dependencies first, but cannot wait for another host's machines.
 */
import { configError, type ManifestMachine } from "@nohead/schema";

/** The name that means this computer. */
export const LOCAL_HOST = "local";

/**
 * Groups `machines` by host.
 *
 * @example
 * placeMachines(manifest.machines, { known: new Set(["lab"]) })
 * // => Map { "local" => [db], "lab" => [web-1, web-2] }
 */
export function placeMachines(
  machines: ManifestMachine[],
  { known, override }: { known: ReadonlySet<string>; override?: string | undefined },
): Map<string, ManifestMachine[]> {
  const hostOf = (m: ManifestMachine) => override ?? m.host ?? LOCAL_HOST;
  const byName = new Map(machines.map((m) => [m.name, m]));
  const placed = new Map<string, ManifestMachine[]>();
  for (const machine of machines) {
    const host = hostOf(machine);
    if (host !== LOCAL_HOST && !known.has(host)) {
      throw configError(
        `${machine.name} is placed on host "${host}", which the hosts file does not declare`,
        known.size > 0
          ? `declared hosts: ${[...known].sort().join(", ")} (docs/hosts.md)`
          : "declare it in ~/.config/nohead/hosts.json or .nohead/hosts.json (docs/hosts.md)",
      );
    }
    for (const dep of machine.dependsOn) {
      const other = byName.get(dep);
      if (other && hostOf(other) !== host) {
        throw configError(
          `${machine.name} (on ${host}) depends on ${dep} (on ${hostOf(other)}): a machine and its dependencies must run on one host`,
          `set the same \`host\` for both in configs.nix`,
        );
      }
    }
    placed.set(host, [...(placed.get(host) ?? []), machine]);
  }
  return placed;
}
