/**
 * Plain aligned text tables for terminal output (no box drawing, so they stay greppable and
 * survive pipes). Colour codes are ignored when measuring widths.
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: colour codes are control characters
const ANSI = /\x1b\[[0-9;]*m/g;
const width = (s: string) => s.replace(ANSI, "").length;

/**
 * Renders rows under a header, columns padded to their widest cell.
 *
 * @example
 * renderTable(["NAME", "STATE"], [["web-1", "ready"]])
 * // "NAME   STATE\nweb-1  ready\n"
 */
export function renderTable(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => width(r[i] ?? ""))));
  return all
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : cell + " ".repeat((widths[i] ?? 0) - width(cell))))
        .join("  ")
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join("");
}
