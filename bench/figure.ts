/**
 * One measured figure of a benchmark: its samples, their summary, and how it compares with its
 * target. Every figure a benchmark prints and writes to bench/results/ has this shape.
 */
import { z } from "zod";
import { summarize } from "./stats.ts";

/** Units figures are given in; `x` is a dimensionless ratio. */
export const Unit = z.enum(["ms", "MiB", "x"]);
export type Unit = z.infer<typeof Unit>;

export const Figure = z.strictObject({
  /** What was measured, e.g. "nohead list (empty dir)". */
  name: z.string().min(1),
  unit: Unit,
  median: z.number(),
  p90: z.number(),
  min: z.number(),
  max: z.number(),
  runs: z.number().int().positive(),
  /** An upper bound in the figure's unit, or null for a figure given for reference. */
  target: z.number().nullable(),
  /** median / target: below 1 is within the target. */
  ratio: z.number().nullable(),
  /** `info` for figures without a target. */
  verdict: z.enum(["ok", "missed", "info"]),
  /** How it was measured, or what to read into it. */
  note: z.string().nullable(),
  samples: z.array(z.number()),
});
export type Figure = z.infer<typeof Figure>;

/**
 * Summarises `samples` into a figure and judges its median against `target` (an upper bound).
 *
 * @example
 * makeFigure({ name: "nohead --help", unit: "ms", samples: [21, 19, 20], target: 50 })
 * // => { name: "nohead --help", median: 20, ratio: 0.4, verdict: "ok", … }
 */
export function makeFigure({
  name,
  unit,
  samples,
  target = null,
  note = null,
}: {
  name: string;
  unit: Unit;
  samples: number[];
  target?: number | null;
  note?: string | null;
}): Figure {
  if (samples.length === 0) throw new Error(`figure "${name}" has no samples: measure at least once`);
  const summary = summarize(samples);
  const ratio = target === null ? null : summary.median / target;
  return Figure.parse({
    name,
    unit,
    ...summary,
    target,
    ratio,
    verdict: ratio === null ? "info" : ratio <= 1 ? "ok" : "missed",
    note,
    samples,
  });
}
