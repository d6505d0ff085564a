/**
 * Keys for QMP `send-key`: a combination written as the test driver writes it (`ctrl-alt-delete`,
 * `shift-a`, `0x0C`), and the keys that type a character.
 */
import { usageError } from "@nohead/schema";

/** One key of QMP `send-key`: a QKeyCode name or a raw scancode number. */
export type KeyValue = { type: "qcode"; data: string } | { type: "number"; data: number };

/** Characters that are not their own QKeyCode name, as combinations. */
const CHARACTER_KEYS: Record<string, string> = {
  " ": "spc",
  "\n": "ret",
  "\t": "tab",
  "-": "minus",
  _: "shift-minus",
  "=": "equal",
  "+": "shift-equal",
  "[": "bracket_left",
  "{": "shift-bracket_left",
  "]": "bracket_right",
  "}": "shift-bracket_right",
  ";": "semicolon",
  ":": "shift-semicolon",
  "'": "apostrophe",
  '"': "shift-apostrophe",
  "`": "grave_accent",
  "~": "shift-grave_accent",
  "\\": "backslash",
  "|": "shift-backslash",
  ",": "comma",
  "<": "shift-comma",
  ".": "dot",
  ">": "shift-dot",
  "/": "slash",
  "?": "shift-slash",
  "!": "shift-1",
  "@": "shift-2",
  "#": "shift-3",
  $: "shift-4",
  "%": "shift-5",
  "^": "shift-6",
  "&": "shift-7",
  "*": "shift-8",
  "(": "shift-9",
  ")": "shift-0",
};

/**
 * The keys of one combination, pressed together.
 *
 * @example
 * keysOf("ctrl-alt-delete") // => [{type:"qcode",data:"ctrl"}, {type:"qcode",data:"alt"}, {type:"qcode",data:"delete"}]
 * keysOf("shift-0x0C")      // => [{type:"qcode",data:"shift"}, {type:"number",data:12}]
 */
export function keysOf(combination: string): KeyValue[] {
  const parts = combination.split("-");
  if (parts.some((p) => p === "")) {
    throw usageError(
      `"${combination}" is not a key combination`,
      'write keys joined by "-", e.g. "ctrl-alt-delete"',
    );
  }
  return parts.map((part) =>
    /^0x[0-9a-f]+$/i.test(part)
      ? { type: "number", data: Number.parseInt(part, 16) }
      : { type: "qcode", data: part.toLowerCase() },
  );
}

/**
 * The combination that types `char` on a US keyboard layout.
 *
 * @example
 * combinationOf("A") // => "shift-a"
 * combinationOf("?") // => "shift-slash"
 */
export function combinationOf(char: string): string {
  if (/^[a-z0-9]$/.test(char)) return char;
  if (/^[A-Z]$/.test(char)) return `shift-${char.toLowerCase()}`;
  const mapped = CHARACTER_KEYS[char];
  if (mapped) return mapped;
  throw usageError(
    `cannot type ${JSON.stringify(char)} on a US keyboard`,
    "sendChars types printable ASCII, newline and tab; send other keys with sendKeys",
  );
}
