/**
 * Widths of nohead's own coloured lines: what a terminal shows of them (colour codes take no
 * column), and cutting them to a width so a live view's line never wraps.
 */
import { stripTerminalControls } from "@nohead/supervisor/terminal-controls";

/** The columns `text` takes on one terminal line (one per code point, colour codes excluded). */
export function visibleLength(text: string): number {
  let length = 0;
  for (const _ of stripTerminalControls(text)) length++;
  return length;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: SGR colour codes start with ESC
const SGR = /\x1b\[[0-9;]*m/y;

/**
 * `text` cut to `width` columns, ending in `…` when cut; colour codes are kept (and reset after
 * a cut, so the colour does not leak into the next line).
 *
 * @example
 * fitToWidth("web-1 ready 12.3s ssh:2201", 12) // => "web-1 ready…"
 */
export function fitToWidth(text: string, width: number): string {
  if (visibleLength(text) <= width) return text;
  let out = "";
  let used = 0;
  let coloured = false;
  let i = 0;
  while (i < text.length && used < width - 1) {
    SGR.lastIndex = i;
    const code = SGR.exec(text);
    if (code) {
      out += code[0];
      coloured = true;
      i += code[0].length;
      continue;
    }
    const char = String.fromCodePoint(text.codePointAt(i) as number);
    out += char;
    used++;
    i += char.length;
  }
  return `${out}…${coloured ? "\x1b[0m" : ""}`;
}
