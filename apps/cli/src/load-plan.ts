/**
 * Computes the plan of one configuration: pure Nix evaluation, no build, no nixpkgs for
 * configs.nix files (a flake source evaluates its `nohead.plan` attribute). Validation messages
 * name the configuration as the user gave it (`-f web.nix`, `-c .#lab`).
 */
import { type ConfigSource, messageNaming, NixError, planExpression, runNix } from "@nohead/nixgen";
import { configError, Plan } from "@nohead/schema";
import { z } from "zod";

function evaluatePlan(source: ConfigSource, trace: string[]) {
  return source.kind === "file"
    ? runNix("nix-instantiate", ["--eval", "--strict", "--json", ...trace, "-E", planExpression(source)])
    : runNix("nix", ["eval", "--json", ...trace, `${source.ref}.nohead.plan`]);
}

/** The validated plan of `source`. */
export async function loadPlan(source: ConfigSource, { showTrace = false } = {}): Promise<Plan> {
  const trace = showTrace ? ["--show-trace"] : [];
  const { stdout } = await evaluatePlan(source, trace).catch((error: unknown) => {
    throw error instanceof NixError
      ? new NixError(messageNaming(error, source.label), error.details, { cause: error })
      : error;
  });
  const parsed = Plan.safeParse(JSON.parse(stdout));
  if (!parsed.success) {
    throw configError(
      `the plan of ${source.label} does not match nohead's manifest schema:\n${z.prettifyError(parsed.error)}`,
      "the Nix side and this CLI disagree; use the nohead version that matches your flake input",
    );
  }
  return parsed.data;
}
