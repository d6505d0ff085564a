/**
 * Computes the plan of one configuration: pure Nix evaluation, no build, no nixpkgs for
 * configs.nix files (a flake source evaluates its `nohead.plan` attribute).
 */
import { type ConfigSource, planExpression, runNix } from "@nohead/nixgen";
import { configError, Plan } from "@nohead/schema";
import { z } from "zod";

/** The validated plan of `source`. */
export async function loadPlan(source: ConfigSource, { showTrace = false } = {}): Promise<Plan> {
  const trace = showTrace ? ["--show-trace"] : [];
  const { stdout } =
    source.kind === "file"
      ? await runNix("nix-instantiate", [
          "--eval",
          "--strict",
          "--json",
          ...trace,
          "-E",
          planExpression(source),
        ])
      : await runNix("nix", ["eval", "--json", ...trace, `${source.ref}.nohead.plan`]);
  const parsed = Plan.safeParse(JSON.parse(stdout));
  if (!parsed.success) {
    throw configError(
      `the plan of ${source.label} does not match nohead's manifest schema:\n${z.prettifyError(parsed.error)}`,
      "the Nix side and this CLI disagree; use the nohead version that matches your flake input",
    );
  }
  return parsed.data;
}
