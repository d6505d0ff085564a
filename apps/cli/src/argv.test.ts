/** The split of pass-through arguments follows each command's table: nohead's flags lead, the rest passes. */
import { describe, expect, test } from "bun:test";
import { ArgvError, splitPassThrough, takeResult } from "./argv.ts";
import { COMMANDS } from "./command-specs.ts";

const spec = (name: string) => {
  const found = COMMANDS.find((c) => c.name === name);
  if (!found) throw new Error(`no command ${name}`);
  return found;
};

describe("splitPassThrough", () => {
  test("run: -r, --host and flags after the machine name are nohead's, the rest goes to QEMU", () => {
    const options: Record<string, unknown> = {};
    const rest = splitPassThrough(
      spec("run"),
      ["-n", "-r", "/p/result", "--host", "lab", "--restart=on-failure", "-m", "2048", "-n"],
      options,
    );
    expect(rest).toEqual(["-m", "2048", "-n"]);
    expect(options).toEqual({ noui: true, result: "/p/result", host: "lab", restart: "on-failure" });
  });

  test("everything after -- passes, nohead's flags included", () => {
    const options: Record<string, unknown> = {};
    expect(splitPassThrough(spec("run"), ["--fresh", "--", "-r", "x"], options)).toEqual(["-r", "x"]);
    expect(options).toEqual({ fresh: true });
  });

  test("exec: --timeout is checked as the table says", () => {
    const options: Record<string, unknown> = {};
    expect(splitPassThrough(spec("exec"), ["--timeout", "5", "--json", "--", "ls", "-r"], options)).toEqual([
      "ls",
      "-r",
    ]);
    expect(options).toEqual({ timeout: 5, json: true });
    expect(() => splitPassThrough(spec("exec"), ["--timeout", "0", "ls"], {})).toThrow(
      new ArgvError('expected a positive integer, got "0"'),
    );
    expect(() => splitPassThrough(spec("run"), ["--restart", "sometimes"], {})).toThrow(
      new ArgvError('--restart: expected one of no, on-failure, always, got "sometimes"'),
    );
    expect(() => splitPassThrough(spec("run"), ["-r"], {})).toThrow(
      new ArgvError("option '-r, --result <link>' argument missing"),
    );
  });

  test("-h/--help after the machine name asks for the command's help", () => {
    const options: Record<string, unknown> = {};
    expect(splitPassThrough(spec("run"), ["-n", "--help", "-m", "1"], options)).toEqual([]);
    expect(options).toEqual({ noui: true, help: true });
    expect(splitPassThrough(spec("run"), ["--", "--help"], {})).toEqual(["--help"]);
  });

  test("runall: its flags, then everything after -- for QEMU", () => {
    const options: Record<string, unknown> = {};
    expect(splitPassThrough(spec("runall"), ["--fresh", "--", "-m", "2048"], options)).toEqual([
      "-m",
      "2048",
    ]);
    expect(options).toEqual({ fresh: true });
  });

  test("ssh: a remote command's own flags are not taken (only leading ones are nohead's)", () => {
    const options: Record<string, unknown> = {};
    expect(splitPassThrough(spec("ssh"), ["--wait", "3", "ls", "-r", "/"], options)).toEqual([
      "ls",
      "-r",
      "/",
    ]);
    expect(options).toEqual({ wait: 3 });
  });
});

test("takeResult finds -r anywhere, in each spelling", () => {
  expect(takeResult(["-r", "a", "list"])).toEqual({ result: "a", rest: ["list"] });
  expect(takeResult(["list", "--result", "b"])).toEqual({ result: "b", rest: ["list"] });
  expect(takeResult(["status", "--result=c", "--json"])).toEqual({ result: "c", rest: ["status", "--json"] });
  expect(takeResult(["list", "-r"])).toEqual({ result: undefined, rest: ["list", "-r"] });
});
