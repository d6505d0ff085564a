/**
 * Puts a fixture fleet's runners into the real Nix store (`nix-store --add`), so an agent — which
 * starts only valid store paths — runs them: each machine type's runner directory becomes a store
 * object, and the manifest (returned and rewritten in the result dir) points at it.
 */
import { writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { Manifest } from "@nohead/schema";
import type { FixtureFleet } from "./fixture-fleet.ts";

/**
 * Adds `path` to the Nix store and returns the store path.
 *
 * @example
 * const stored = await addToStore("/tmp/x/runners/web-1"); // "/nix/store/…-web-1"
 */
export async function addToStore(path: string): Promise<string> {
  const child = Bun.spawn(["nix-store", "--add", path], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  if (code !== 0) throw new Error(`nix-store --add ${path} failed (${code}): ${err}`);
  return out.trim();
}

/** `fixture` with every type's runner (and system) moved to a store object of its own. */
export async function fixtureInStore(fixture: FixtureFleet): Promise<FixtureFleet> {
  // Instances of a type share their runner's directory: one store object each.
  const systems = [...new Set(fixture.manifest.machines.map((m) => m.system))];
  const objects = new Map(
    await Promise.all(systems.map(async (system) => [system, await addToStore(system)] as const)),
  );
  const machines = fixture.manifest.machines.map((m) => {
    const object = objects.get(m.system) ?? m.system;
    return { ...m, system: object, runner: join(object, basename(m.runner)) };
  });
  const manifest = Manifest.parse({ ...fixture.manifest, machines });
  writeFileSync(join(fixture.resultDir, "nohead-manifest.json"), JSON.stringify(manifest, null, 2));
  return { ...fixture, manifest };
}
