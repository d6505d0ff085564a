/** Console text read as lines keeps no leftovers of terminal control sequences. */
import { expect, test } from "bun:test";
import { stripTerminalControls } from "./terminal-controls.ts";

test("ESC c (SeaBIOS's reset) leaves no stray c", () => {
  expect(stripTerminalControls("\x1bc\x1b[?7lSeaBIOS (version 1.16.2-debian-1.16.2-1)\r\n")).toBe(
    "SeaBIOS (version 1.16.2-debian-1.16.2-1)\n",
  );
});

test("CSI sequences: colours, cursor moves, private modes, 8-bit CSI", () => {
  expect(stripTerminalControls("\x1b[1;32mOK\x1b[0m \x1b[2J\x1b[H\x1b[?25hdone \x9b31mred")).toBe(
    "OK done red",
  );
});

test("OSC sequences ended by BEL or ST, and charset selections", () => {
  expect(stripTerminalControls("\x1b]0;title\x07a\x1b]2;t\x1b\\b\x1b(Bc\x1b)0d")).toBe("abcd");
});

test("other control characters go, tabs and newlines stay", () => {
  expect(stripTerminalControls("a\tb\x07\x08\x00c\r\nd\x7f")).toBe("a\tbc\nd");
});

test("plain text and non-ASCII pass unchanged", () => {
  const text = "web-1 ready ✔ 3/3 — ünïcode […]";
  expect(stripTerminalControls(text)).toBe(text);
});
