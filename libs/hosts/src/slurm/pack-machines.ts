/**
 * How machines placed on a Slurm host are packed into pilot jobs. A machine and the machines it
 * depends on (transitively, either way) go in one job, as one agent starts dependencies first.
 * These groups are packed first-fit, largest first, into jobs of at most `maxCoresPerJob` cores;
 * a group larger than that gets a job of its own. Each job asks for the sum of its machines'
 * cores and memory, plus room for QEMU and the agent (docs/slurm.md).
 */
import type { ManifestMachine } from "@nohead/schema";

/** A machine's resources when the manifest gives none. */
export const DEFAULT_RESOURCES = { cores: 1, memoryMiB: 1024 } as const;
/** Memory per VM beyond its guest's: QEMU itself, its devices and page tables. */
export const QEMU_OVERHEAD_MIB = 256;
/** Memory of the agent (Bun, one worker thread per VM). */
export const AGENT_MEMORY_MIB = 512;

export interface PilotJobShape {
  machines: ManifestMachine[];
  /** sbatch --cpus-per-task. */
  cores: number;
  /** sbatch --mem, in MiB. */
  memoryMiB: number;
}

function resourcesOf(m: ManifestMachine) {
  return m.resources ?? DEFAULT_RESOURCES;
}

/** The machines connected by dependsOn, each group in manifest order. */
function dependencyGroups(machines: ManifestMachine[]): ManifestMachine[][] {
  const root = new Map(machines.map((m) => [m.name, m.name]));
  const find = (n: string): string => {
    const parent = root.get(n) as string;
    return parent === n ? n : find(parent);
  };
  for (const m of machines) {
    for (const dep of m.dependsOn) if (root.has(dep)) root.set(find(m.name), find(dep));
  }
  const groups = new Map<string, ManifestMachine[]>();
  for (const m of machines) groups.set(find(m.name), [...(groups.get(find(m.name)) ?? []), m]);
  return [...groups.values()];
}

/**
 * Packs `machines` into pilot jobs.
 *
 * @example
 * packMachines([a, b, c], { maxCoresPerJob: 2 }) // a, b, c 1 core each, none depending on another
 * // => [{ machines: [a, b], cores: 2, memoryMiB: 3072 }, { machines: [c], cores: 1, memoryMiB: 1792 }]
 */
export function packMachines(
  machines: ManifestMachine[],
  { maxCoresPerJob }: { maxCoresPerJob: number },
): PilotJobShape[] {
  const cores = (group: ManifestMachine[]) => group.reduce((sum, m) => sum + resourcesOf(m).cores, 0);
  const groups = dependencyGroups(machines).sort((a, b) => cores(b) - cores(a));
  const jobs: ManifestMachine[][] = [];
  for (const group of groups) {
    const fits = jobs.find((job) => cores(job) + cores(group) <= maxCoresPerJob);
    if (fits) fits.push(...group);
    else jobs.push([...group]);
  }
  const order = new Map(machines.map((m, i) => [m.name, i]));
  return jobs.map((job) => {
    const sorted = job.sort((a, b) => (order.get(a.name) ?? 0) - (order.get(b.name) ?? 0));
    return {
      machines: sorted,
      cores: cores(sorted),
      memoryMiB:
        AGENT_MEMORY_MIB + sorted.reduce((sum, m) => sum + resourcesOf(m).memoryMiB + QEMU_OVERHEAD_MIB, 0),
    };
  });
}
