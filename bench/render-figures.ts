/** Prints figures as a plain-text table: median, p90, min, runs, target, ratio and verdict. */
import type { Figure } from "./figure.ts";

/**
 * A number in `unit` with sensible precision (ratios 3 decimals, small times 1).
 *
 * @example
 * formatValue(1234.5, "ms") // => "1235 ms"
 */
export function formatValue(value: number, unit: Figure["unit"]): string {
  if (unit === "x") return `${value.toFixed(3)}x`;
  const digits = Math.abs(value) >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${unit}`;
}

/**
 * The table of `figures`, one row each, columns padded to fit.
 *
 * @example
 * console.log(renderFigures(report.figures));
 */
export function renderFigures(figures: Figure[]): string {
  const header = ["FIGURE", "MEDIAN", "P90", "MIN", "RUNS", "TARGET", "RATIO", "VERDICT"];
  const rows = figures.map((f) => [
    f.name,
    formatValue(f.median, f.unit),
    f.runs > 1 ? formatValue(f.p90, f.unit) : "-",
    f.runs > 1 ? formatValue(f.min, f.unit) : "-",
    String(f.runs),
    f.target === null ? "-" : `<= ${formatValue(f.target, f.unit)}`,
    f.ratio === null ? "-" : f.ratio.toFixed(2),
    f.verdict === "missed" ? "MISSED" : f.verdict,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const numeric = new Set([1, 2, 3, 4, 5, 6]);
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join("\n")}\n`;
}
