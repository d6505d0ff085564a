import { describe, expect, test } from "bun:test";
import { appendFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { followConsole } from "./console-follow.ts";

const file = () => join(mkdtempSync(join(tmpdir(), "nohead-console-")), "console.log");

describe("following a console log", () => {
  test("control sequences and carriage returns are removed, in the tail and in followed lines", async () => {
    const f = file();
    writeFileSync(f, "\x1bc\x1b[?7lSeaBIOS\r\n");
    const controller = new AbortController();
    const lines: string[] = [];
    const reading = (async () => {
      for await (const line of followConsole(f, {
        lines: 5,
        follow: true,
        signal: controller.signal,
        pollMs: 20,
      })) {
        lines.push(line);
        if (lines.length === 2) controller.abort();
      }
    })();
    await Bun.sleep(60);
    appendFileSync(f, "\x1b[1;32mOK\x1b[0m boot\r\n");
    await reading;
    expect(lines).toEqual(["SeaBIOS", "OK boot"]);
  });

  test("without follow: the last lines, then the end; a missing file gives nothing", async () => {
    const f = file();
    writeFileSync(f, "a\nb\n\nc\n");
    const lines: string[] = [];
    for await (const line of followConsole(f, { lines: 2, follow: false })) lines.push(line);
    expect(lines).toEqual(["b", "c"]);
    const none: string[] = [];
    for await (const line of followConsole(join(f, "..", "missing.log"), { lines: 5, follow: false }))
      none.push(line);
    expect(none).toEqual([]);
  });

  test("with follow: new lines as they complete, and from the start again when the file is recreated", async () => {
    const f = file();
    writeFileSync(f, "old\n");
    const abort = new AbortController();
    const lines = followConsole(f, { lines: 0, follow: true, signal: abort.signal, pollMs: 20 });
    // A generator starts when first asked: ask, then write.
    const first = lines.next();
    await Bun.sleep(50);
    appendFileSync(f, "par");
    await Bun.sleep(50);
    appendFileSync(f, "tial\nnext\n");
    expect((await first).value).toBe("partial");
    expect((await lines.next()).value).toBe("next");
    // A restart truncates the log: reading starts over.
    writeFileSync(f, "fresh\n");
    expect((await lines.next()).value).toBe("fresh");
    abort.abort();
    expect((await lines.next()).done).toBe(true);
  });
});
