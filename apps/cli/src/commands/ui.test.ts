/** `nohead ui` on an address already taken: one clear error (conflict, exit 5) naming the fix, no stack. */
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../../../../tests/support/run-cli.ts";

test("ui with its port taken says so and how to pick another", async () => {
  const taken = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
  const dir = mkdtempSync(join(tmpdir(), "nohead-ui-"));
  try {
    const { exitCode, stderr } = await runCli(["ui", "--listen", `127.0.0.1:${taken.port}`], { cwd: dir });
    expect(exitCode).toBe(5);
    expect(stderr).toContain(`error: 127.0.0.1:${taken.port} is in use by another process`);
    expect(stderr).toContain("hint: pick another address with --listen, e.g. --listen 127.0.0.1:0");
    expect(stderr).not.toContain("nohead bug");
  } finally {
    taken.stop(true);
    rmSync(dir, { recursive: true, force: true });
  }
});
