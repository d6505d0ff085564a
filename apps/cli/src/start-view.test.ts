/**
 * The live start view: lines cut to the terminal's width, redraws that move up exactly what was
 * printed, a header counter, what queued VMs wait for, a summary line; plain lines in a pipe.
 * Then the real thing: the view replaying a recorded start in real tmux panes of 60 and 120
 * columns, where the screen must end with one line per VM and no stale copies.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { StartProgress, StartResult } from "@nohead/supervisor";
import { StartView, type ViewOutput } from "./start-view.ts";
import { visibleLength } from "./terminal-text.ts";

const ESC = String.fromCharCode(27);
/** A cursor-up sequence and its count. */
const UP = new RegExp(`${ESC}\\[(\\d+)A`, "g");

class Recorder implements ViewOutput {
  text = "";
  constructor(
    readonly columns: number | undefined,
    readonly isTTY: boolean,
  ) {}
  write(text: string): void {
    this.text += text;
  }
}

const forwards = [
  { name: "ssh", protocol: "tcp" as const, guestPort: 22, hostPort: 2201, hostAddress: "127.0.0.1" },
];
const progress = (machine: string, readiness: StartProgress["readiness"], detail: string): StartProgress => ({
  machine,
  readiness,
  detail,
  forwards: readiness === "starting" ? [] : forwards,
});
const result = (machine: string, error: string | null = null): StartResult => ({
  machine,
  ok: error === null,
  readiness: error ? "failed" : "ready",
  pid: 1,
  forwards,
  health: [],
  error,
  consoleTail: error ? ["SeaBIOS", "login:"] : [],
  warnings: [],
  durationMs: 1000,
  alreadyRunning: false,
  outdated: false,
});

/** The recorded start replayed by the tmux test: db first, web-1 and web-2 wait for it. */
const RECORDED: StartProgress[] = [
  progress("db", "started", "QEMU runs (pid 4242); waiting for the guest agent on its virtio port"),
  progress("db", "booted", "guest agent answers; health checks: ssh, tcp:5432, init-script"),
  progress("db", "ready", ""),
  progress("web-1", "starting", "db ready"),
  progress("web-2", "starting", "db ready"),
  progress("web-1", "started", "QEMU runs (pid 4243); waiting for the guest agent on its virtio port"),
  progress("web-2", "started", "QEMU runs (pid 4244); waiting for the guest agent on its virtio port"),
  progress("web-1", "booted", "guest agent answers; health checks: ssh, http:8080 /healthz, init-script"),
  progress("web-2", "booted", "guest agent answers; health checks: ssh, http:8080 /healthz, init-script"),
  progress("web-1", "ready", ""),
  progress("web-2", "ready", ""),
];
const WAITS = { db: [], "web-1": ["db"], "web-2": ["db"] };

describe("in a terminal", () => {
  test("every line fits the width, and a redraw moves up by the rows printed last", () => {
    const out = new Recorder(40, true);
    const view = new StartView(["db", "web-1", "web-2"], { waitsFor: WAITS, output: out, tick: false });
    for (const p of RECORDED.slice(0, 2)) view.update(p);
    const draws = out.text.split(new RegExp(`\r${ESC}\\[\\d+A${ESC}\\[J`));
    expect(draws.length).toBe(2);
    for (const up of out.text.matchAll(UP)) expect(up[1]).toBe("4");
    for (const draw of draws) {
      const lines = draw.split("\n").filter((l) => l !== "");
      expect(lines.length).toBe(4);
      for (const line of lines) expect(visibleLength(line)).toBeLessThan(40);
    }
  });

  test("a header counts ready VMs; queued VMs say what they wait for", () => {
    const out = new Recorder(120, true);
    const view = new StartView(["db", "web-1"], { waitsFor: WAITS, output: out, tick: false });
    view.update(RECORDED[0] as StartProgress);
    const first = out.text;
    expect(first).toContain("0/2 ready");
    expect(first).toMatch(/web-1\s+starting .* waiting for db/);
    view.update(RECORDED[2] as StartProgress);
    expect(out.text.slice(first.length)).toContain("1/2 ready");
    expect(out.text.slice(first.length)).toMatch(/web-1\s+starting .* queued/);
  });

  test("the end: failures with their console tail and one summary line that agrees with them", () => {
    const out = new Recorder(80, true);
    const view = new StartView(["db", "web-1"], { waitsFor: WAITS, output: out, tick: false });
    view.finish([result("db"), result("web-1", "not ready after 120s: check ssh")]);
    expect(out.text).toContain("✖ web-1: not ready after 120s: check ssh");
    expect(out.text).toContain("│ SeaBIOS");
    expect(out.text.trimEnd().split("\n").at(-1)).toMatch(/^✖ 1\/2 ready, 1 failed \(web-1\) in \d+\.\ds$/);
  });

  test("VMs a stop ended while starting are told apart from failures, in their lines and the summary", () => {
    const out = new Recorder(80, true);
    const view = new StartView(["db", "web-1"], { waitsFor: WAITS, output: out, tick: false });
    const stopped = (machine: string, error: string): StartResult => ({
      ...result(machine, error),
      readiness: "stopped",
      consoleTail: [],
    });
    view.finish([
      stopped("db", "stopped while it was starting (a stop was asked for)"),
      stopped("web-1", "not started: db was stopped while starting"),
    ]);
    expect(out.text).toContain("■ db: stopped while it was starting (a stop was asked for)");
    expect(out.text).toContain("■ web-1: not started: db was stopped while starting");
    expect(out.text).not.toContain("failed");
    expect(out.text.trimEnd().split("\n").at(-1)).toMatch(
      /^■ 0\/2 ready, 2 stopped while starting \(db, web-1\) in \d+\.\ds$/,
    );
  });

  test("a terminal narrower than the last draw: the old lines' wrapped rows are moved over too", () => {
    const out = new Recorder(120, true);
    const view = new StartView(["db"], { output: out, tick: false });
    view.update(RECORDED[0] as StartProgress);
    (out as { columns: number }).columns = 30;
    const before = out.text.length;
    view.update(RECORDED[1] as StartProgress);
    const up = Number(new RegExp(UP.source).exec(out.text.slice(before))?.[1]);
    expect(up).toBeGreaterThan(2);
  });
});

test("in a pipe: one plain line per change and a summary, no cursor movement", () => {
  const out = new Recorder(undefined, false);
  const view = new StartView(["db", "web-1", "web-2"], { waitsFor: WAITS, output: out });
  for (const p of RECORDED) view.update(p);
  view.finish(["db", "web-1", "web-2"].map((n) => result(n)));
  expect(out.text).not.toContain(`${ESC}[`);
  const lines = out.text.trimEnd().split("\n");
  expect(lines.filter((l) => /^db\s+ready/.test(l)).length).toBe(1);
  expect(lines.at(-1)).toMatch(/^✔ 3\/3 ready in \d+\.\ds$/);
});

describe("under real tmux", () => {
  const socket = `nohead-view-${process.pid}`;
  const tmux = (...args: string[]) =>
    Bun.spawnSync(["tmux", "-L", socket, ...args], { stdout: "pipe", stderr: "pipe" });
  afterAll(() => tmux("kill-server"));

  const driver = join(import.meta.dir, "testing", "replay-start-view.ts");

  test.each([60, 120])(
    "a replayed start at %i columns ends with one line per VM and no stale copies",
    async (columns) => {
      const session = `w${columns}`;
      const created = tmux(
        "new-session",
        "-d",
        "-s",
        session,
        "-x",
        String(columns),
        "-y",
        "40",
        `NO_COLOR= FORCE_COLOR=1 bun ${driver}; echo REPLAY-DONE; sleep 60`,
      );
      expect(created.exitCode).toBe(0);
      let screen = "";
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        screen = tmux("capture-pane", "-p", "-t", session).stdout.toString();
        if (screen.includes("REPLAY-DONE")) break;
        await Bun.sleep(200);
      }
      const lines = screen.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("REPLAY-DONE"));
      expect(lines.filter((l) => l.includes("ready") && /^\d\/3 ready/.test(l))).toEqual([
        expect.stringMatching(/^3\/3 ready/),
      ]);
      for (const vm of ["db", "web-1", "web-2"]) {
        expect(lines.filter((l) => l.startsWith(`${vm} `)).length).toBe(1);
        expect(lines.find((l) => l.startsWith(`${vm} `))).toMatch(new RegExp(`^${vm}\\s+ready\\b`));
      }
      expect(lines.at(-1)).toMatch(/^✔ 3\/3 ready in \d+\.\ds$/);
      expect(lines.length).toBe(5);
      for (const line of lines) expect(line.length).toBeLessThan(columns);
    },
    40_000,
  );
});
