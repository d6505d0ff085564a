/**
 * The live view of VMs starting. In a terminal: a header (`2/3 ready`) and one line per VM
 * (state, elapsed time, ports, what a queued VM waits for), each cut to the terminal's width and
 * redrawn in place by moving up exactly the rows printed last time, so nothing stale is left
 * behind. In a pipe or log: one plain line per change. Either way it ends with every failed VM's
 * reason and console tail, every VM a stop ended while it started, and one summary line.
 */
import type { StartProgress, StartResult } from "@nohead/supervisor";
import pc from "picocolors";
import { fitToWidth, visibleLength } from "./terminal-text.ts";

const COLOURS: Record<string, (s: string) => string> = {
  ready: pc.green,
  failed: pc.red,
  stopped: pc.magenta,
  starting: pc.dim,
  started: pc.yellow,
  booted: pc.cyan,
};

/** Where the view writes: stderr by default; tests pass a recorder or a tmux pane's stream. */
export interface ViewOutput {
  write(text: string): void;
  /** The terminal's width in columns (undefined: not a terminal, or unknown → 80). */
  readonly columns?: number | undefined;
  readonly isTTY?: boolean | undefined;
}

export interface StartViewOptions {
  /** machine → the machines it waits for (its dependsOn among those starting). */
  waitsFor?: Record<string, string[]>;
  output?: ViewOutput;
  /** Redraw on a timer (the elapsed time moves); tests drive draws themselves. */
  tick?: boolean;
}

interface Row {
  progress: StartProgress;
  /** When it left the queue, and when it reached ready or failed (its time stops there). */
  since?: number;
  until?: number;
}

export class StartView {
  private readonly rows = new Map<string, Row>();
  private readonly start = performance.now();
  /** Visible length of each line printed by the last draw (to know how many rows it took). */
  private drawn: number[] = [];
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly out: ViewOutput;
  private readonly live: boolean;
  private readonly waitsFor: Record<string, string[]>;
  private finished = false;

  constructor(
    names: string[],
    { waitsFor = {}, output = process.stderr, tick = true }: StartViewOptions = {},
  ) {
    this.out = output;
    this.live = Boolean(output.isTTY);
    this.waitsFor = waitsFor;
    for (const name of names) {
      this.rows.set(name, {
        progress: { machine: name, readiness: "starting", detail: "queued", forwards: [] },
      });
    }
    if (this.live && tick) this.timer = setInterval(() => this.draw(), 500);
  }

  update(progress: StartProgress): void {
    // Machines this start leaves alone (already running) are not its rows: they are not shown.
    if (this.finished || !this.rows.has(progress.machine)) return;
    const previous = this.rows.get(progress.machine);
    const now = performance.now();
    const done = ["ready", "failed", "stopped"].includes(progress.readiness);
    this.rows.set(progress.machine, {
      progress,
      since: previous?.since ?? now,
      ...(done ? { until: previous?.until ?? now } : {}),
    });
    if (progress.warning) this.print(`${pc.yellow("warning:")} ${progress.machine}: ${progress.warning}`);
    if (this.live) this.draw();
    else if (previous?.progress.readiness !== progress.readiness) this.print(this.line(progress.machine));
  }

  /** Draws the last state, then each failure with its console tail, then one summary line. */
  finish(results: StartResult[]): void {
    this.stop();
    for (const r of results) {
      const row = this.rows.get(r.machine);
      if (row && !r.ok)
        row.progress = { ...row.progress, readiness: stoppedOrFailed(r), detail: r.error ?? "" };
    }
    if (this.live) this.draw();
    this.finished = true;
    this.drawn = [];
    for (const r of results.filter((r) => !r.ok)) {
      const mark = stoppedOrFailed(r) === "stopped" ? pc.magenta("■") : pc.red("✖");
      this.out.write(`\n${mark} ${pc.bold(r.machine)}: ${r.error}\n`);
      if (r.consoleTail.length > 0) {
        this.out.write(
          `${pc.dim("  last console lines:")}\n${r.consoleTail.map((l) => `  ${pc.dim("│")} ${l}`).join("\n")}\n`,
        );
      }
    }
    this.out.write(`${this.summary(results)}\n`);
  }

  /** Stops redrawing (Ctrl-C, the end); the lines printed so far stay. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * `✔ 3/3 ready in 12.3s`, `✖ 2/3 ready, 1 failed (db) in 12.3s`, `■ 1/3 ready, 2 stopped while
   * starting (db, web) in 4.0s`, or `✔ 3 already running` when every machine shown was. Only the
   * machines shown count (a running dependency of the asked machines is not), and any that failed.
   */
  summary(results: StartResult[]): string {
    const counted = results.filter((r) => this.rows.has(r.machine) || !r.ok);
    if (counted.length > 0 && counted.every((r) => r.alreadyRunning))
      return `${pc.green("✔")} ${counted.length} already running`;
    const notOk = counted.filter((r) => !r.ok);
    const failed = notOk.filter((r) => stoppedOrFailed(r) === "failed").map((r) => r.machine);
    const stopped = notOk.filter((r) => stoppedOrFailed(r) === "stopped").map((r) => r.machine);
    const ready = counted.length - notOk.length;
    const took = `in ${this.elapsed()}`;
    if (notOk.length === 0) return `${pc.green("✔")} ${ready}/${counted.length} ready ${took}`;
    const parts = [
      `${ready}/${counted.length} ready`,
      ...(failed.length > 0 ? [`${failed.length} failed (${failed.join(", ")})`] : []),
      ...(stopped.length > 0 ? [`${stopped.length} stopped while starting (${stopped.join(", ")})`] : []),
    ];
    const mark = failed.length > 0 ? pc.red("✖") : pc.magenta("■");
    return `${mark} ${parts.join(", ")} ${took}`;
  }

  private elapsed(from = this.start, to = performance.now()): string {
    return `${((to - from) / 1000).toFixed(1)}s`;
  }

  private header(): string {
    const all = [...this.rows.values()];
    const ready = all.filter((r) => r.progress.readiness === "ready").length;
    const failed = all.filter((r) => r.progress.readiness === "failed").length;
    const stopped = all.filter((r) => r.progress.readiness === "stopped").length;
    return `${pc.bold(`${ready}/${all.length} ready`)}${failed > 0 ? pc.red(`, ${failed} failed`) : ""}${stopped > 0 ? pc.magenta(`, ${stopped} stopped`) : ""}  ${pc.dim(this.elapsed())}`;
  }

  /** What a queued VM waits for: the machines it depends on that are not ready yet. */
  private detailOf(progress: StartProgress): string {
    if (progress.detail !== "queued") return progress.detail;
    const waiting = (this.waitsFor[progress.machine] ?? []).filter(
      (d) => this.rows.get(d)?.progress.readiness !== "ready",
    );
    return waiting.length > 0 ? `waiting for ${waiting.join(", ")}` : "queued";
  }

  private line(name: string): string {
    const row = this.rows.get(name);
    if (!row) return name;
    const { progress } = row;
    const elapsed = row.since === undefined ? "" : this.elapsed(row.since, row.until);
    const ports = progress.forwards.map((f) => `${f.name}:${f.hostPort}`).join(" ");
    const colour = COLOURS[progress.readiness] ?? ((s: string) => s);
    const detail = this.detailOf(progress);
    return `${name.padEnd(16)} ${colour(progress.readiness.padEnd(9))} ${elapsed.padStart(7)}  ${ports}${detail ? `  ${pc.dim(detail)}` : ""}`;
  }

  private print(text: string): void {
    this.clear();
    this.out.write(`${text}\n`);
  }

  /** Rows a line of `length` visible characters takes now (a narrower terminal wraps old lines). */
  private rowsOf(length: number): number {
    return Math.max(1, Math.ceil(length / this.width()));
  }

  private width(): number {
    return this.out.columns && this.out.columns > 0 ? this.out.columns : 80;
  }

  private clear(): void {
    const rows = this.drawn.reduce((sum, length) => sum + this.rowsOf(length), 0);
    if (rows > 0) this.out.write(`\r\x1b[${rows}A\x1b[J`);
    this.drawn = [];
  }

  private draw(): void {
    if (this.finished) return;
    this.clear();
    // One column less than the width: a line that fills the last column leaves some terminals in
    // a pending-wrap state where the next newline counts twice.
    const width = this.width() - 1;
    const lines = [this.header(), ...[...this.rows.keys()].map((n) => this.line(n))].map((l) =>
      fitToWidth(l, width),
    );
    this.out.write(`${lines.join("\n")}\n`);
    this.drawn = lines.map(visibleLength);
  }
}

/** A VM that did not get ready: a stop ended its start (`stopped`), or it failed. */
function stoppedOrFailed(result: StartResult): "stopped" | "failed" {
  return result.readiness === "stopped" ? "stopped" : "failed";
}
