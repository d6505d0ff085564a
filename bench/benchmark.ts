/**
 * What a benchmark is to bench/run.ts: a name, a description, and a `run` that measures and
 * records figures as it goes (a runtime benchmark takes minutes; its figures print as they come).
 */
import type { Figure } from "./figure.ts";

export interface BenchContext {
  /** Prints a progress line (to stderr, so stdout stays the figures). */
  log: (line: string) => void;
  /** Records a figure (printed at once, written to the report at the end). */
  record: (figure: Figure) => void;
  /** Records something that makes the figures less trustworthy or shows a bug. */
  problem: (message: string) => void;
}

export interface Benchmark {
  /** The name on the command line and of bench/results/<name>.json. */
  name: string;
  description: string;
  run: (context: BenchContext) => Promise<void>;
}
