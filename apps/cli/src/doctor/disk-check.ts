/** Free space under the project, where VM disks (qcow2, growing) and state live. */
import { statfsSync } from "node:fs";
import { type DoctorCheck, fail, ok, warn } from "./doctor-check.ts";

const GiB = 1024 ** 3;

/** Below `warnBytes` free: warn; below `failBytes`: fail (defaults 5 GiB and 1 GiB). */
export function diskCheck(dir: string, { warnBytes = 5 * GiB, failBytes = 1 * GiB } = {}): DoctorCheck {
  const stat = statfsSync(dir);
  const free = stat.bavail * stat.bsize;
  const detail = `${(free / GiB).toFixed(1)} GiB free under ${dir}`;
  const fix =
    "free some space (`nohead destroy` removes VM disks; `nix-collect-garbage` old builds), or work in a project on a larger disk";
  if (free < failBytes) return fail("disk", `${detail}: VM disks will not fit`, fix);
  if (free < warnBytes) return warn("disk", `${detail}: a few VM disks will fill it`, fix);
  return ok("disk", detail);
}
