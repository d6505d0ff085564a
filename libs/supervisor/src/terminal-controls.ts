/**
 * Terminal control sequences out of text meant to be read as lines: a guest's serial console
 * (SeaBIOS resets the terminal with `ESC c`, the kernel and getty move the cursor and set colours,
 * some set the title with OSC), and nohead's own coloured lines when their width is measured.
 * One place for every reader: `logs`, `logs -f`, the status page's console pane, start failures'
 * console tails and the live start view.
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: terminal control sequences are control characters
const SEQUENCES = /\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]|\x1b[ -/]*[0-~]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: what is left of C0 controls after the sequences
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f]/g;

/**
 * `text` without terminal control sequences (CSI `ESC [ … final`, OSC `ESC ] … BEL|ST`, two-byte
 * escapes such as `ESC c` and `ESC ( B`) and without other control characters but tab and newline
 * (carriage returns included: console lines end in CR LF).
 *
 * @example
 * stripTerminalControls("\x1bc\x1b[?7lSeaBIOS (version 1.16)\r\n") // => "SeaBIOS (version 1.16)\n"
 */
export function stripTerminalControls(text: string): string {
  return text.replace(SEQUENCES, "").replace(CONTROLS, "");
}
