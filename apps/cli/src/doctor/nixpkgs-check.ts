/** nixpkgs, resolved exactly as `nohead build -f` resolves it (nixpkgs-source.ts). */
import { chooseNixpkgs, realiseNixpkgs } from "@nohead/nixgen";
import { NoheadError } from "@nohead/schema";
import { type DoctorCheck, ok, warn } from "./doctor-check.ts";

/**
 * ok with where it comes from; warn when there is none (flake builds bring their own nixpkgs,
 * `build -f` needs this one). A missing pinned nixpkgs is fetched, as build would: one attempt.
 */
export async function nixpkgsCheck(cwd: string): Promise<DoctorCheck> {
  try {
    const choice = chooseNixpkgs({ flag: undefined, cwd });
    const path = await realiseNixpkgs(choice, { downloadAttempts: 1, signal: AbortSignal.timeout(60_000) });
    return ok(
      "nixpkgs",
      `for build -f: ${path} (from ${choice.origin === "flake.lock" ? choice.label : choice.origin})`,
    );
  } catch (error) {
    if (!(error instanceof NoheadError)) throw error;
    return warn("nixpkgs", error.message, error.hint ?? "");
  }
}
