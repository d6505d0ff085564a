/**
 * The runner's log holds this start's output only, so what is quoted from it belongs to this start;
 * its display is the one it is given, never the launching process's.
 */
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { displayEnvOf } from "./display-env.ts";
import { launchRunner } from "./launch.ts";

const dir = mkdtempSync(join(tmpdir(), "nohead-launch-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function launchEcho(
  word: string,
  logFile: string,
  { say = "$1", env = {} }: { say?: string; env?: Record<string, string> } = {},
): Promise<void> {
  const runner = join(dir, `say-${word}`);
  writeFileSync(runner, `#!/bin/sh\necho "${word}: ${say}"\n`);
  chmodSync(runner, 0o755);
  const { pid } = launchRunner({ name: "t", runner, args: ["arg"], env, cwd: dir, logFile });
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

describe("the display", () => {
  const own = { DISPLAY: process.env.DISPLAY, XAUTHORITY: process.env.XAUTHORITY };
  afterEach(() => {
    for (const [name, value] of Object.entries(own)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
  // Shell expansions (`${NAME-unset}`), not template placeholders.
  const say = ["DISPLAY", "XAUTHORITY", "WAYLAND_DISPLAY"].map((v) => `${v}=$\{${v}-unset}`).join(" ");

  test("is the one given, never the launching process's own", async () => {
    process.env.DISPLAY = ":99";
    process.env.XAUTHORITY = "/home/someone-else/.Xauthority";
    const logFile = join(dir, "display.log");
    await launchEcho("window", logFile, { say, env: { DISPLAY: ":42" } });
    expect(readFileSync(logFile, "utf8")).toBe(
      "window: DISPLAY=:42 XAUTHORITY=unset WAYLAND_DISPLAY=unset\n",
    );
  });

  test("none given: none at all, though the launching process has one", async () => {
    process.env.DISPLAY = ":99";
    const logFile = join(dir, "no-display.log");
    await launchEcho("headless", logFile, { say });
    expect(readFileSync(logFile, "utf8")).toBe(
      "headless: DISPLAY=unset XAUTHORITY=unset WAYLAND_DISPLAY=unset\n",
    );
  });
});

test("displayEnvOf keeps the display variables that are set", () => {
  expect(displayEnvOf({ DISPLAY: ":0", WAYLAND_DISPLAY: "", XAUTHORITY: "/x", HOME: "/home/me" })).toEqual({
    DISPLAY: ":0",
    XAUTHORITY: "/x",
  });
});
