/**
 * Every VM has a worker thread, so what the worker bundle contains is paid once per VM: these
 * modules cost a worker 0.8–2 MiB each (measured with 8 live workers, docs/benchmarks.md) and the
 * worker does not need them — the coordinator validates, locks and hashes.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { vmWorkerEntry } from "./worker-entry.ts";

/** The modules a bundle pulled in, from the `// path` comments Bun writes before each one. */
function bundledModules(bundle: string): string[] {
  return [...bundle.matchAll(/^\/\/ (\S+\.(?:ts|js|mjs|cjs))$/gm)].map((m) => m[1] as string);
}

describe("the VM worker bundle", () => {
  test("holds the watch code and none of the heavy modules the coordinator keeps to itself", async () => {
    const bundle = readFileSync(await vmWorkerEntry(), "utf8");
    const modules = bundledModules(bundle);
    expect(modules.some((m) => m.endsWith("libs/supervisor/src/watch-vm.ts"))).toBe(true);
    expect(modules.some((m) => m.endsWith("libs/supervisor/src/vm-life.ts"))).toBe(true);
    expect(modules.some((m) => m.endsWith("libs/qemu/src/qmp-client.ts"))).toBe(true);

    const heavy = modules.filter((m) =>
      [
        /zod\/v4\/classic\//, // the classic API: zod/mini does the same checks for ~1.5 MiB less
        /proper-lockfile|graceful-fs/, // the lock is the coordinator's
        /libs\/schema\/src\/(manifest|vm-state|fleet-event)\.ts/, // schemas: readers validate, not the worker
        /libs\/supervisor\/src\/(vm-lock|state-store|project)\.ts/,
      ].some((pattern) => pattern.test(m)),
    );
    expect(heavy).toEqual([]);
    const builtins = [...bundle.matchAll(/from "(?:node:)?(net|crypto|child_process)"/g)].map((m) => m[1]);
    expect(builtins).toEqual([]);
  });
});
