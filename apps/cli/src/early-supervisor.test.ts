/**
 * The supervisor launched before a starting command loads its modules: only for commands that
 * will ask it, only once (a second command finds it starting), never for help or `--host`.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { findProjectOfResult } from "@nohead/supervisor/project";
import { launchingSupervisor, supervisorPaths } from "@nohead/supervisor/supervisor-process";
import { testTempDir } from "../../../tests/support/temp-dir.ts";
import { launchSupervisorEarly, needsSupervisorSoon } from "./early-supervisor.ts";

const launched: number[] = [];
afterAll(() => {
  for (const pid of launched) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
});

/** Stands in for `nohead supervise`: lives a while, serves nothing. */
const STAND_IN = ["sh", "-c", "sleep 30", "supervise"];

test("only run, runall and restart here need it: not their help, not --host, not QEMU's arguments", () => {
  expect(needsSupervisorSoon(["runall", "-n"])).toBe(true);
  expect(needsSupervisorSoon(["run", "db", "--", "-h"])).toBe(true); // -h is QEMU's here
  expect(needsSupervisorSoon(["restart", "db"])).toBe(true);
  expect(needsSupervisorSoon(["runall", "--help"])).toBe(false);
  expect(needsSupervisorSoon(["run", "db", "-h"])).toBe(false);
  expect(needsSupervisorSoon(["run", "db", "--host", "lab"])).toBe(false);
  expect(needsSupervisorSoon(["runall", "--host=lab"])).toBe(false);
});

test("launched once for a project with a build result; a second command finds it starting", () => {
  const root = testTempDir("nohead-early-");
  mkdirSync(join(root, "result"));
  const pid = launchSupervisorEarly(root, "result", ["runall", "-n"], STAND_IN);
  expect(pid).toBeNumber();
  launched.push(pid as number);
  const project = findProjectOfResult(root, "result");
  expect(launchingSupervisor(project)).toBe(pid);
  expect(readFileSync(supervisorPaths(project).launch, "utf8")).toStartWith(`${pid} `);
  expect(launchSupervisorEarly(root, "result", ["run", "db"], STAND_IN)).toBeNull();
});

test("nothing is launched without a build result, or for help", () => {
  const root = testTempDir("nohead-early-");
  expect(launchSupervisorEarly(root, "result", ["runall"], STAND_IN)).toBeNull();
  mkdirSync(join(root, "result"));
  expect(launchSupervisorEarly(root, "result", ["runall", "--help"], STAND_IN)).toBeNull();
  expect(launchingSupervisor(findProjectOfResult(root, "result"))).toBeNull();
});
