/** `nohead list`: this project's running VMs, one name per line (no-headache's format). */
import { findProject, knownVmNames, vmStatus } from "@nohead/supervisor";

export async function run(): Promise<number> {
  const project = findProject(process.cwd());
  for (const name of knownVmNames(project)) {
    if (vmStatus(project, name).condition === "running") process.stdout.write(`${name}\n`);
  }
  return 0;
}
