/** How the page shows a VM's ports and uptime (the page's script formats them the same way). */
import type { BoundForward, HealthResult } from "@nohead/schema";

/** `ssh 127.0.0.1:2201→22` per forward, comma-separated. */
export function formatForwards(forwards: BoundForward[]): string {
  return forwards.map((f) => `${f.name} ${f.hostAddress}:${f.hostPort}→${f.guestPort}`).join(", ");
}

/** `42s`, `3m 05s`, `2h 07m`, `3d 4h`; empty when unknown. */
export function formatUptime(seconds: number | null): string {
  if (seconds === null) return "";
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, "0")}s`;
  if (seconds < 86400)
    return `${Math.floor(seconds / 3600)}h ${String(Math.floor((seconds % 3600) / 60)).padStart(2, "0")}m`;
  return `${Math.floor(seconds / 86400)}d ${Math.floor((seconds % 86400) / 3600)}h`;
}

/** `ssh ✓ · tcp:80 ✗`: each declared check and whether it passed last. */
export function formatHealth(health: HealthResult[]): string {
  return health.map((h) => `${h.check} ${h.ok ? "✓" : "✗"}`).join(" · ");
}
