/** The runner's log holds this start's output only, so what is quoted from it belongs to this start. */
import { afterAll, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchRunner } from "./launch.ts";

const dir = mkdtempSync(join(tmpdir(), "nohead-launch-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function launchEcho(word: string, logFile: string): Promise<void> {
  const runner = join(dir, `say-${word}`);
  writeFileSync(runner, `#!/bin/sh\necho "${word}: $1"\n`);
  chmodSync(runner, 0o755);
  const { pid } = launchRunner({ name: "t", runner, args: ["arg"], env: {}, cwd: dir, logFile });
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await Bun.sleep(20);
  }
}

test("a second launch empties the log of the first", async () => {
  const logFile = join(dir, "qemu.log");
  await launchEcho("first", logFile);
  expect(readFileSync(logFile, "utf8")).toBe("first: arg\n");
  await launchEcho("second", logFile);
  expect(readFileSync(logFile, "utf8")).toBe("second: arg\n");
});
