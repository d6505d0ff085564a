/**
 * A `-w` window opens on the display of the command that asked for it, not on the one the
 * project's supervisor inherited from whichever command started it; without a display, QEMU
 * falls back to VNC and says where — with real fixture VMs, read from QEMU's own environment
 * (/proc/<pid>/environ: no X server needed).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { makeRuntimeProject, type RuntimeProject, TEST_DEADLINES } from "../support/runtime-project.ts";

let project: RuntimeProject;
const SLOW = 200_000;

beforeAll(async () => {
  project = await makeRuntimeProject(`{ ... }: {
    a = { ${TEST_DEADLINES} };
    b = { ${TEST_DEADLINES} };
  }`);
}, 60_000);

afterAll(async () => {
  if (project) expect(await project.cleanup()).toEqual([]);
}, 120_000);

/** The display variables in the environment of `name`'s QEMU. */
function displayOfQemu(name: string): Record<string, string> {
  const pid = project.stateFile(name)?.pid;
  if (typeof pid !== "number") throw new Error(`${name} has no pid in its state file`);
  const env = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
  return Object.fromEntries(
    env
      .map((entry) => entry.split("=", 2) as [string, string])
      .filter(([key]) => ["DISPLAY", "WAYLAND_DISPLAY", "XAUTHORITY"].includes(key)),
  );
}

test(
  "a window gets the asking command's display; without one, none (VNC), whatever the supervisor has",
  async () => {
    // The first command starts the supervisor: it inherits this display for its whole life.
    const first = await project.cli(["run", "a", "-n"], {
      env: { DISPLAY: ":99", XAUTHORITY: "/home/first-command/.Xauthority", WAYLAND_DISPLAY: "" },
    });
    expect(first.exitCode).toBe(0);
    expect(displayOfQemu("a")).toEqual({}); // headless: no display at all

    const windowed = await project.cli(["run", "b", "-w"], {
      env: { DISPLAY: ":42", XAUTHORITY: "", WAYLAND_DISPLAY: "wayland-7" },
    });
    expect(windowed.exitCode).toBe(0);
    expect(displayOfQemu("b")).toEqual({ DISPLAY: ":42", WAYLAND_DISPLAY: "wayland-7" });

    expect((await project.cli(["stop", "a"])).exitCode).toBe(0);
    const noDisplay = await project.cli(["run", "a", "-w"], {
      env: { DISPLAY: "", XAUTHORITY: "", WAYLAND_DISPLAY: "" },
    });
    expect(noDisplay.exitCode).toBe(0);
    expect(displayOfQemu("a")).toEqual({});
    expect(noDisplay.stderr).toMatch(/QEMU fell back to VNC on 127\.0\.0\.1:59\d\d/);
  },
  SLOW,
);
