/**
 * How long an idle supervisor lives, with the real `nohead supervise` on an empty project (no VM
 * is started): one no request reached yet waits for the command that launched it early; once a
 * request was answered, a few idle seconds end it.
 */
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isSameProcessAlive } from "@nohead/supervisor/process-identity";
import { CLI } from "../../../tests/support/run-cli.ts";
import { waitUntil } from "../../../tests/support/runtime-project.ts";
import { testTempDir } from "../../../tests/support/temp-dir.ts";
import { IDLE_CHECK_MS, IDLE_CHECKS_BEFORE_FIRST_REQUEST, IDLE_CHECKS_TO_END } from "./supervise.ts";

const started: Bun.Subprocess[] = [];
afterAll(() => {
  for (const child of started) child.kill("SIGKILL");
});

test("before any request it outlives the usual idle end; after one it ends a few idle seconds later", async () => {
  const root = testTempDir("nohead-supervise-");
  const stateDir = join(root, ".nohead");
  mkdirSync(stateDir, { mode: 0o700 });
  const child = Bun.spawn(["bun", CLI, "supervise", "--state-dir", stateDir], {
    cwd: root,
    stdout: "ignore",
    stderr: "ignore",
    timeout: 60_000,
  });
  started.push(child);
  const record = join(stateDir, "supervisor.json");
  expect(await waitUntil(() => existsSync(record), 15_000)).toBe(true);
  const { socket } = JSON.parse(readFileSync(record, "utf8")) as { socket: string };

  // Twice the idle end of a supervisor that answered a request: still there.
  await Bun.sleep(2 * IDLE_CHECKS_TO_END * IDLE_CHECK_MS);
  expect(child.exitCode).toBeNull();
  expect(IDLE_CHECKS_BEFORE_FIRST_REQUEST * IDLE_CHECK_MS).toBeGreaterThan(
    2 * IDLE_CHECKS_TO_END * IDLE_CHECK_MS,
  );

  const health = await fetch("http://supervisor/v1/health", { unix: socket });
  expect(health.status).toBe(200);
  const answered = performance.now();
  expect(await child.exited).toBe(0);
  const idleMs = performance.now() - answered;
  expect(idleMs).toBeGreaterThan((IDLE_CHECKS_TO_END - 1) * IDLE_CHECK_MS);
  expect(idleMs).toBeLessThan((IDLE_CHECKS_TO_END + 3) * IDLE_CHECK_MS);
  expect(existsSync(record)).toBe(false);
  expect(isSameProcessAlive(child.pid, null)).toBe(false);
}, 60_000);
