/**
 * Nix: its version, and whether the experimental features `nix-command` and `flakes` are on.
 * nohead passes both on every `nix` call it makes, so without them only your own `nix run`,
 * `nix build` and `nix develop` commands fail.
 */
import { type DoctorCheck, fail, ok, warn } from "./doctor-check.ts";
import { runProgram } from "./run-program.ts";

const ENABLE =
  "add `experimental-features = nix-command flakes` to ~/.config/nix/nix.conf (or /etc/nix/nix.conf); nohead passes them itself, your own `nix run`/`nix develop` need them";

export async function nixCheck(): Promise<DoctorCheck> {
  const version = await runProgram(["nix", "--version"], 5000);
  if (!version.found || version.exitCode !== 0) {
    return fail(
      "nix",
      "nix is not on PATH: nohead plans and builds with it",
      "install Nix: https://nixos.org/download",
    );
  }
  const found = version.stdout.trim().replace(/^nix \(Nix\) /, "Nix ");
  const [major = 0, minor = 0] = (found.match(/(\d+)\.(\d+)/)?.slice(1) ?? []).map(Number);
  if (major < 2 || (major === 2 && minor < 4)) {
    return fail(
      "nix",
      `${found} has no flakes (Nix 2.4 or later is needed)`,
      "upgrade Nix: https://nixos.org/download",
    );
  }
  const features = await enabledFeatures();
  const missing = ["nix-command", "flakes"].filter((f) => !features.includes(f));
  if (missing.length === 0) return ok("nix", `${found}; nix-command and flakes are enabled`);
  return warn("nix", `${found}; not enabled: ${missing.join(", ")}`, ENABLE);
}

/** The experimental features on in the user's configuration (none when nix-command is off). */
async function enabledFeatures(): Promise<string[]> {
  // Text, not --json: Nix 2.8's JSON gives this setting as enum numbers.
  const config = await runProgram(["nix", "show-config"], 5000);
  if (config.exitCode === 0) {
    const line = config.stdout.split("\n").find((l) => l.startsWith("experimental-features ="));
    return (line?.split("=")[1] ?? "").trim().split(/\s+/);
  }
  // nix-command is off; `builtins.getFlake` exists exactly when flakes are on.
  const flakes = await runProgram(["nix-instantiate", "--eval", "--expr", "builtins ? getFlake"], 5000);
  return flakes.stdout.trim() === "true" ? ["flakes"] : [];
}
