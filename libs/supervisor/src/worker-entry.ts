/**
 * Where VM workers load their code from: a bundle of vm-worker.ts (one file, so each worker
 * costs ~3 MB instead of ~10 MB of separately transpiled modules; see docs/architecture.md, platform facts), rebuilt
 * whenever a source file of the workspace changes, in the user's cache directory.
 */
import { createHash } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

const SOURCE = join(import.meta.dir, "vm-worker.ts");
const LIBS = join(import.meta.dir, "../..");

/**
 * A fingerprint of every TypeScript source the worker may import and of the libraries'
 * package.json files (their `exports` and `sideEffects` shape the bundle): size + mtime.
 */
function sourceFingerprint(): string {
  const hash = createHash("sha256");
  const files = [
    ...new Bun.Glob("*/package.json").scanSync({ cwd: LIBS }),
    ...new Bun.Glob("*/src/**/*.ts").scanSync({ cwd: LIBS }),
  ];
  for (const file of files) {
    if (file.endsWith(".test.ts")) continue;
    const s = statSync(join(LIBS, file));
    hash.update(`${file}:${s.size}:${s.mtimeMs}\n`);
  }
  return hash.digest("hex").slice(0, 16);
}

let cached: string | undefined;

/**
 * The file to pass to `new Worker(…)`: the bundle (built on first use), or the TypeScript source
 * when NOHEAD_UNBUNDLED_WORKERS=1 (for debugging).
 */
export async function vmWorkerEntry(): Promise<string> {
  if (process.env.NOHEAD_UNBUNDLED_WORKERS === "1") return SOURCE;
  if (cached) return cached;
  const cacheDir = join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "nohead", "workers");
  const target = join(cacheDir, `vm-worker-${sourceFingerprint()}.js`);
  if (!existsSync(target)) {
    const result = await Bun.build({
      entrypoints: [SOURCE],
      target: "bun",
      outdir: cacheDir,
      naming: `[dir]/${target.split("/").pop()}`,
    });
    if (!result.success) {
      throw new Error(`could not bundle the VM worker: ${result.logs.map((l) => l.message).join("; ")}`);
    }
  }
  cached = target;
  return target;
}
