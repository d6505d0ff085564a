import { expect, test } from "bun:test";
import { shellQuote } from "./shell-quote.ts";

test("plain words stay as they are; anything else is single-quoted, quotes included", async () => {
  expect(shellQuote("/var/log/app.log")).toBe("/var/log/app.log");
  expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  const hostile = `a b; rm -rf / $(reboot) \`x\` "q" \\ *`;
  const echoed = Bun.spawnSync(["sh", "-c", `printf %s ${shellQuote(hostile)}`]).stdout.toString();
  expect(echoed).toBe(hostile);
});
