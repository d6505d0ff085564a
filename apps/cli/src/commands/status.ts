/** `nohead status [vm…] [--json]`: state, pid, uptime, ports, readiness and init script of each VM. */
import { notStartedStatus } from "@nohead/supervisor/status-from-state";
import { openFleet } from "../open-fleet.ts";
import { remoteGroups } from "../placement.ts";
import type { GlobalOptions } from "../program.ts";
import { type HostedStatus, printStatuses } from "../status-view.ts";

export async function run([given, options]: unknown[], globals: GlobalOptions): Promise<number> {
  const { json = false } = options as { json?: boolean };
  const fleet = openFleet(globals);
  const wanted = given as string[];
  const names = wanted.length > 0 ? fleet.resolveNames(wanted) : undefined;
  const remote = await remoteGroups(fleet, names);
  const remoteNames = new Set(remote.flatMap((g) => g.machines));
  const statuses: HostedStatus[] = fleet
    .status(names)
    .filter((s) => !remoteNames.has(s.name))
    .map((s) => ({ ...s, host: "local" }));
  for (const { host, machines } of remote) {
    try {
      for (const s of await host.status(machines)) statuses.push({ ...s, host: host.name });
    } catch (error) {
      for (const name of machines) {
        statuses.push({
          ...notStartedStatus(name),
          host: host.name,
          error: `host ${host.name} did not answer: ${(error as Error).message}`,
        });
      }
    }
  }
  await printStatuses(statuses, { json });
  return 0;
}
