/**
 * The live view of VMs starting: in a terminal, one line per VM redrawn in place (state, elapsed
 * time, ports); in a pipe or log, one line per change. Results are summarised at the end with the
 * reason and console tail of every VM that failed.
 */
import type { StartProgress, StartResult } from "@nohead/supervisor";
import pc from "picocolors";

const COLOURS: Record<string, (s: string) => string> = {
  ready: pc.green,
  failed: pc.red,
  starting: pc.dim,
  started: pc.yellow,
  booted: pc.cyan,
};

export class StartView {
  private readonly rows = new Map<string, { progress: StartProgress; since: number }>();
  private readonly start = performance.now();
  private drawn = 0;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    names: string[],
    private readonly live = Boolean(process.stderr.isTTY),
  ) {
    for (const name of names) {
      this.rows.set(name, {
        progress: { machine: name, readiness: "starting", detail: "queued", forwards: [] },
        since: this.start,
      });
    }
    if (this.live) this.timer = setInterval(() => this.draw(), 500);
  }

  update(progress: StartProgress): void {
    const previous = this.rows.get(progress.machine);
    this.rows.set(progress.machine, { progress, since: previous?.since ?? performance.now() });
    if (progress.warning) this.print(`${pc.yellow("warning:")} ${progress.machine}: ${progress.warning}`);
    if (this.live) this.draw();
    else if (previous?.progress.readiness !== progress.readiness) this.print(this.line(progress.machine));
  }

  finish(results: StartResult[]): void {
    if (this.timer) clearInterval(this.timer);
    if (this.live) this.draw();
    for (const r of results.filter((r) => !r.ok)) {
      process.stderr.write(`\n${pc.red("✖")} ${pc.bold(r.machine)}: ${r.failure}\n`);
      if (r.consoleTail.length > 0) {
        process.stderr.write(
          `${pc.dim("  last console lines:")}\n${r.consoleTail.map((l) => `  ${pc.dim("│")} ${l}`).join("\n")}\n`,
        );
      }
    }
  }

  private line(name: string): string {
    const row = this.rows.get(name);
    if (!row) return name;
    const { progress } = row;
    const elapsed = `${((performance.now() - this.start) / 1000).toFixed(1)}s`;
    const ports = progress.forwards.map((f) => `${f.name}:${f.hostPort}`).join(" ");
    const colour = COLOURS[progress.readiness] ?? ((s: string) => s);
    return `${name.padEnd(16)} ${colour(progress.readiness.padEnd(9))} ${elapsed.padStart(7)}  ${ports}${progress.detail ? `  ${pc.dim(progress.detail)}` : ""}`;
  }

  private print(text: string): void {
    this.clear();
    process.stderr.write(`${text}\n`);
  }

  private clear(): void {
    if (this.drawn > 0) process.stderr.write(`\x1b[${this.drawn}A\x1b[J`);
    this.drawn = 0;
  }

  private draw(): void {
    this.clear();
    const lines = [...this.rows.keys()].map((n) => this.line(n));
    process.stderr.write(`${lines.join("\n")}\n`);
    this.drawn = lines.length;
  }
}
