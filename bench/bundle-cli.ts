/**
 * Bundles the CLI (`bun build --splitting`, target bun) into a temp dir, so the startup
 * benchmark can show what shipping one bundle instead of ~100 TypeScript modules would save:
 * Bun then reads, resolves and transpiles a few files instead of every module of every import.
 * Only for measuring: commands that locate nohead's own files (nix/, the worker) may not run
 * from it.
 */
import { join } from "node:path";
import { CLI } from "../tests/support/run-cli.ts";

/**
 * Writes the bundle into `outdir` and returns the path of its entry point.
 *
 * @example
 * const main = await bundleCli("/tmp/nohead-bundle"); // "/tmp/nohead-bundle/main.js"
 */
export async function bundleCli(outdir: string): Promise<string> {
  const result = await Bun.build({ entrypoints: [CLI], target: "bun", splitting: true, outdir });
  if (!result.success) {
    throw new Error(`bundling the CLI failed: ${result.logs.map((log) => log.message).join("; ")}`);
  }
  return join(outdir, "main.js");
}
