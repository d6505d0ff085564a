/**
 * `nohead plan`: the machine list of a configuration, computed by Nix without building. Without
 * -c/-f it reads ./configs.nix even beside a flake.nix: nohead's own nix/lib evaluates it, so
 * planning needs no flake inputs, no nixpkgs and no network.
 */
import { resolveConfigSources } from "@nohead/nixgen";
import { type PlannedMachine, usageError } from "@nohead/schema";
import pc from "picocolors";
import { loadPlan } from "../load-plan.ts";
import type { GlobalOptions } from "../program.ts";
import { renderTable } from "../table.ts";

interface PlanOptions {
  config: string[];
  file: string[];
  customArgs?: string;
  json?: boolean;
  showTrace?: boolean;
}

export async function run([options]: unknown[], _globals: GlobalOptions): Promise<number> {
  const { config, file, customArgs, json = false, showTrace = false } = options as PlanOptions;
  const sources = resolveConfigSources({
    flakes: config,
    files: file,
    customArgs,
    cwd: process.cwd(),
    prefer: "configs.nix",
  });
  if (sources.length > 1) {
    throw usageError("plan takes one configuration at a time", "run `nohead plan` once per -c/-f");
  }
  const [source] = sources;
  if (!source) return 0;
  const plan = await loadPlan(source, { showTrace });
  if (json) {
    process.stdout.write(`${JSON.stringify({ machines: plan.machines }, null, 2)}\n`);
    return 0;
  }
  if (plan.machines.length === 0) {
    process.stdout.write(`${source.label}: no machines (every type has count = 0)\n`);
    return 0;
  }
  process.stdout.write(
    renderTable(
      ["NAME", "TYPE", "#", "USER", "SSH", "FORWARDS", "ADDRESS", "DEPENDS ON", "SECRETS"],
      plan.machines.map((m) => [
        pc.bold(m.name),
        m.baseName,
        String(m.index),
        m.username,
        portOf(m, "ssh"),
        m.forwards
          .filter((f) => f.name !== "ssh")
          .map((f) => `${f.name} ${f.hostPort ?? "auto"}→${f.guestPort}/${f.protocol}`)
          .join(", ") || "-",
        m.network?.address ?? "-",
        m.dependsOn.join(", ") || "-",
        m.secrets.map((s) => `${s.name} ← ${s.hostPath}`).join(", ") || "-",
      ]),
    ),
  );
  process.stdout.write(
    pc.dim(`${plan.machines.length} machine(s); "auto" ports are allocated when the VM starts\n`),
  );
  return 0;
}

function portOf(machine: PlannedMachine, name: string): string {
  const forward = machine.forwards.find((f) => f.name === name);
  return forward ? String(forward.hostPort ?? "auto") : "-";
}
