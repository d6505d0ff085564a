import { describe, expect, test } from "bun:test";
import { noheadErrorOf } from "@nohead/schema/testing";
import { combinationOf, keysOf } from "./key-codes.ts";

describe("keysOf", () => {
  test("splits a combination into QKeyCode names and raw scancodes", () => {
    expect(keysOf("ctrl-alt-delete")).toEqual([
      { type: "qcode", data: "ctrl" },
      { type: "qcode", data: "alt" },
      { type: "qcode", data: "delete" },
    ]);
    expect(keysOf("shift-0x0C")).toEqual([
      { type: "qcode", data: "shift" },
      { type: "number", data: 12 },
    ]);
    expect(keysOf("RET")).toEqual([{ type: "qcode", data: "ret" }]);
  });

  test("rejects an empty key with a usage error", () => {
    const error = noheadErrorOf(() => keysOf("ctrl--a"));
    expect(error.kind).toBe("usage");
    expect(error.message).toBe('"ctrl--a" is not a key combination');
  });
});

describe("combinationOf", () => {
  test.each([
    ["a", "a"],
    ["Z", "shift-z"],
    ["7", "7"],
    [" ", "spc"],
    ["\n", "ret"],
    ["?", "shift-slash"],
    ["_", "shift-minus"],
    ["!", "shift-1"],
    [")", "shift-0"],
    ['"', "shift-apostrophe"],
  ])("%j is typed as %s", (char, combination) => {
    expect(combinationOf(char)).toBe(combination);
  });

  test("a character with no key on a US keyboard is a usage error naming it", () => {
    const error = noheadErrorOf(() => combinationOf("é"));
    expect(error.kind).toBe("usage");
    expect(error.message).toBe('cannot type "é" on a US keyboard');
  });
});
