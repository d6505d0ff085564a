// Round trips through the real Nix 2.8 evaluator: what toNix prints, Nix must read back as the input.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings under test are Nix source, where ${ is literal text
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import fc from "fast-check";
import { NixRenderError, type NixValue, nixAttrName, nixPath, nixRaw, nixString, toNix } from "./to-nix.ts";

const workDir = mkdtempSync(join(tmpdir(), "nixgen-to-nix-"));
let fileCounter = 0;
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** Writes `files` into a fresh directory and evaluates `main.nix` there to JSON. */
async function evalNix(files: Record<string, string>): Promise<unknown> {
  const dir = join(workDir, `case-${++fileCounter}`);
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const proc = Bun.spawn(["nix-instantiate", "--eval", "--strict", "--json", join(dir, "main.nix")], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NIX_REMOTE: "" },
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  if (code !== 0) throw new Error(`nix-instantiate exited ${code} on ${dir}/main.nix:\n${stderr}`);
  return JSON.parse(stdout);
}

/** Renders `values` as one Nix list and returns Nix's JSON of it: one evaluator call per batch. */
async function jsonRoundTrip(values: NixValue[], options?: Parameters<typeof toNix>[1]): Promise<unknown> {
  return evalNix({ "main.nix": toNix(values, options) });
}

// Nix's `typeOf`, computed in JavaScript the way toNix should map each value.
type Skeleton = string | Skeleton[] | { [k: string]: Skeleton };
function skeleton(value: unknown): Skeleton {
  if (value === null) return "null";
  if (Array.isArray(value)) return value.map(skeleton);
  switch (typeof value) {
    case "string":
      return "string";
    case "boolean":
      return "bool";
    case "bigint":
      return "int";
    case "number":
      return Number.isSafeInteger(value) ? "int" : "float";
    case "object":
      return Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, skeleton(v)]));
    default:
      throw new Error(`no skeleton for ${typeof value}`);
  }
}

/**
 * Exact check for values whose floats Nix's JSON output would round to 6 digits: Nix itself compares
 * the rendered values with `builtins.fromJSON` of JSON.stringify (an independent parser), and
 * reports each element's deep `typeOf` so an int printed as a float cannot hide.
 */
async function exactRoundTrip(values: NixValue[]): Promise<{ equal: boolean[]; types: unknown }> {
  const main = `
    let
      rendered = import ./rendered.nix;
      reference = builtins.fromJSON (builtins.readFile ./reference.json);
      deepType = v:
        if builtins.isList v then map deepType v
        else if builtins.isAttrs v then builtins.mapAttrs (_: deepType) v
        else builtins.typeOf v;
    in {
      equal = builtins.genList (i: builtins.elemAt rendered i == builtins.elemAt reference i)
        (builtins.length reference);
      types = map deepType rendered;
    }`;
  return (await evalNix({
    "main.nix": main,
    "rendered.nix": toNix(values, { unsafeIntegers: "float" }),
    "reference.json": JSON.stringify(values),
  })) as { equal: boolean[]; types: unknown };
}

const NASTY_STRINGS = [
  "",
  "plain",
  "${x}",
  "$${x}",
  "$$${x}",
  "$",
  "a$",
  "$$",
  "${",
  "$\\{",
  "\\${x}",
  "$\\",
  '$"',
  "''",
  "'''",
  "''${x}",
  "''\\n",
  "back\\slash\\",
  '"quoted"',
  "new\nline",
  "crlf\r\nend",
  "lone\rcr",
  "tab\there",
  "\u0001\u001f\u007f",
  "héllo wörld ✓",
  "emoji 😀👨‍👩‍👧",
  "RTL: שלום עליכם \u202Bembedded\u202C",
  "mixed ${a} and ${b}\n  indented ''",
  "#not a comment",
  "/* not a comment */",
];

const NASTY_NAMES = [
  "a.b",
  "with",
  "if",
  "then",
  "else",
  "assert",
  "let",
  "in",
  "rec",
  "inherit",
  "or",
  "1abc",
  "a b",
  "",
  "-x",
  "x'",
  "x-y_z'",
  "_",
  "true",
  "null",
  "__curPos",
  "${x}",
  'say "hi"',
  "ünïcode",
  "😀",
  "new\nline",
];

describe("toNix output shape", () => {
  test("pretty output indents with two spaces by default", () => {
    const value = {
      name: "web",
      ports: [80, -1],
      "a.b": 0.5,
      empty: {},
      none: [],
      nested: { deep: [[1], []] },
    };
    expect(toNix(value)).toBe(
      [
        "{",
        '  name = "web";',
        "  ports = [",
        "    80",
        "    (-1)",
        "  ];",
        '  "a.b" = 0.5;',
        "  empty = { };",
        "  none = [ ];",
        "  nested = {",
        "    deep = [",
        "      [",
        "        1",
        "      ]",
        "      [ ]",
        "    ];",
        "  };",
        "}",
      ].join("\n"),
    );
  });

  test("indent option changes the unit", () => {
    expect(toNix({ a: [1] }, { indent: 4 })).toBe("{\n    a = [\n        1\n    ];\n}");
    expect(toNix({ a: [1] }, { indent: 0 })).toBe("{\na = [\n1\n];\n}");
  });

  test("compact output is one line", () => {
    expect(toNix({ name: "web", ports: [80, -1], set: { x: null, y: true } }, { compact: true })).toBe(
      '{ name = "web"; ports = [ 80 (-1) ]; set = { x = null; y = true; }; }',
    );
    expect(toNix([], { compact: true })).toBe("[ ]");
    expect(toNix({}, { compact: true })).toBe("{ }");
  });

  test("scalars", () => {
    expect(toNix(null)).toBe("null");
    expect(toNix(true)).toBe("true");
    expect(toNix(false)).toBe("false");
    expect(toNix(0)).toBe("0");
    expect(toNix(-0)).toBe("0");
    expect(toNix(-5)).toBe("(-5)");
    expect(toNix(0.1)).toBe("0.1");
    expect(toNix(-2.5)).toBe("(-2.5)");
    expect(toNix(1e-7)).toBe("1.0e-7");
    expect(toNix(1e21, { unsafeIntegers: "float" })).toBe("1.0e21");
    expect(toNix(5e-324)).toBe("(2.0501330894674953e-143 * 2.409919865102884e-181)");
    expect(toNix(-5e-324)).toBe("(-(2.0501330894674953e-143 * 2.409919865102884e-181))");
    expect(toNix(-(2n ** 63n))).toBe("(-9223372036854775807 - 1)");
    expect(toNix(2n ** 63n - 1n)).toBe("9223372036854775807");
    expect(toNix(-3n)).toBe("(-3)");
  });

  test("strings escape exactly what Nix interprets", () => {
    expect(nixString('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(nixString("${x} $${y} $ $x")).toBe('"\\${x} $\\${y} $ $x"');
    expect(nixString("a\nb\rc\td")).toBe('"a\\nb\\rc\\td"');
    expect(nixString("😀 שלום")).toBe('"😀 שלום"');
  });

  test("attribute names are bare only when Nix allows it", () => {
    expect(nixAttrName("web-1")).toBe("web-1");
    expect(nixAttrName("x'")).toBe("x'");
    expect(nixAttrName("_a")).toBe("_a");
    expect(nixAttrName("with")).toBe('"with"');
    expect(nixAttrName("or")).toBe('"or"');
    expect(nixAttrName("a.b")).toBe('"a.b"');
    expect(nixAttrName("")).toBe('""');
    expect(nixAttrName("1abc")).toBe('"1abc"');
    expect(nixAttrName("-x")).toBe('"-x"');
    expect(nixAttrName("${x}")).toBe('"\\${x}"');
  });

  test("paths: literals when the lexer allows, concatenation otherwise", () => {
    const render = (p: string) => toNix(nixPath(p));
    expect(render("/")).toBe("/.");
    expect(render("/nix/store/abc-foo+bar_1.0")).toBe("/nix/store/abc-foo+bar_1.0");
    expect(render("/tmp/a b")).toBe('(/. + "/tmp/a b")');
    expect(render("/tmp/dir/")).toBe('(/. + "/tmp/dir/")');
    expect(render("/tmp/${x}")).toBe('(/. + "/tmp/\\${x}")');
    expect(render("./x")).toBe("./x");
    expect(render("../x/y")).toBe("../x/y");
    expect(render(".")).toBe("./.");
    expect(render("..")).toBe("../.");
    expect(render("./a b")).toBe('(./. + "/a b")');
    expect(render("../a b")).toBe('(./. + "/../a b")');
  });

  test("raw source is parenthesised, with a newline when a comment could eat the parenthesis", () => {
    expect(toNix([nixRaw("builtins.currentSystem")], { compact: true })).toBe("[ (builtins.currentSystem) ]");
    expect(toNix(nixRaw("1 # one"))).toBe("(1 # one\n)");
  });

  test("undefined properties are skipped like JSON.stringify does", () => {
    expect(toNix({ a: undefined, b: 1 }, { compact: true })).toBe("{ b = 1; }");
  });

  test("null-prototype objects are plain objects", () => {
    const bare = Object.create(null) as Record<string, NixValue>;
    bare.k = "v";
    expect(toNix(bare, { compact: true })).toBe('{ k = "v"; }');
  });
});

describe("toNix refuses what Nix cannot hold", () => {
  function renderError(run: () => unknown): NixRenderError {
    try {
      run();
    } catch (error) {
      if (error instanceof NixRenderError) return error;
      throw error;
    }
    throw new Error("expected a NixRenderError");
  }

  test.each([
    [Number.NaN, "$", "Nix has no NaN"],
    [Number.POSITIVE_INFINITY, "$", "Nix has no Infinity"],
    [Number.NEGATIVE_INFINITY, "$", "Nix has no -Infinity"],
  ])("%p", (value, location, fragment) => {
    const error = renderError(() => toNix(value));
    expect(error.name).toBe("NixRenderError");
    expect(error.location).toBe(location);
    expect(error.value).toBe(value);
    expect(error.message).toContain(fragment);
  });

  test("unsafe integers, with the fix in the message", () => {
    const error = renderError(() => toNix({ big: [1, 2 ** 53] }));
    expect(error.location).toBe("$.big[1]");
    expect(error.value).toBe(2 ** 53);
    expect(error.message).toBe(
      "toNix: $.big[1]: 9007199254740992 is an integer outside ±(2^53−1), so JavaScript may already have " +
        'rounded it; pass a bigint for an exact Nix integer, or { unsafeIntegers: "float" } to emit a Nix float',
    );
    expect(toNix(2 ** 53 - 1)).toBe("9007199254740991");
  });

  test("bigints beyond 64 bits", () => {
    const error = renderError(() => toNix(2n ** 63n));
    expect(error.location).toBe("$");
    expect(error.value).toBe(2n ** 63n);
    expect(error.message).toBe("toNix: $: 9223372036854775808 does not fit Nix's 64-bit signed integers");
  });

  test("NUL and lone surrogates in strings and names", () => {
    const nul = renderError(() => toNix({ "a b": ["x\0y"] }));
    expect(nul.location).toBe('$["a b"][0]');
    expect(nul.value).toBe("x\0y");
    expect(nul.message).toContain("cannot contain a NUL character");
    const surrogate = renderError(() => toNix({ "k\uD800": 1 }));
    expect(surrogate.location).toBe('$["k\\ud800"]');
    expect(surrogate.message).toContain("lone UTF-16 surrogate");
  });

  test("cycles, class instances, functions, symbols, undefined in lists", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const cycle = renderError(() => toNix(cyclic as NixValue));
    expect(cycle.location).toBe("$.self");
    expect(cycle.message).toContain("contains itself");

    const date = renderError(() => toNix({ when: new Date(0) } as unknown as NixValue));
    expect(date.location).toBe("$.when");
    expect(date.message).toContain("cannot render a Date instance");

    const fn = renderError(() => toNix([() => 1] as unknown as NixValue));
    expect(fn.location).toBe("$[0]");
    expect(fn.message).toContain("cannot render a function");

    const sym = renderError(() => toNix(Symbol("s") as unknown as NixValue));
    expect(sym.message).toContain("cannot render a symbol");

    const hole = renderError(() => toNix([1, undefined] as unknown as NixValue));
    expect(hole.location).toBe("$[1]");
    expect(hole.message).toContain("cannot render a undefined");
  });

  test("a shared (not cyclic) object renders twice", () => {
    const shared = { a: 1 };
    expect(toNix([shared, shared], { compact: true })).toBe("[ { a = 1; } { a = 1; } ]");
  });

  test("bad options name the option and the value", () => {
    const indent = renderError(() => toNix(1, { indent: 2.5 }));
    expect(indent.location).toBe("options.indent");
    expect(indent.value).toBe(2.5);
    expect(indent.message).toBe(
      "toNix: options.indent: expected an integer from 0 to 16 (spaces per level), got `2.5`",
    );
    const mode = renderError(() => toNix(1, { unsafeIntegers: "round" as "float" }));
    expect(mode.location).toBe("options.unsafeIntegers");
    const compact = renderError(() => toNix(1, { compact: "yes" as unknown as boolean }));
    expect(compact.location).toBe("options.compact");
  });

  test("bad paths and raw source", () => {
    const relative = renderError(() => nixPath("relative/x"));
    expect(relative.location).toBe("nixPath");
    expect(relative.value).toBe("relative/x");
    expect(relative.message).toContain('got "relative/x"');
    expect(renderError(() => nixPath("")).message).toContain("non-empty");
    expect(renderError(() => nixPath("~/x")).location).toBe("nixPath");
    expect(renderError(() => nixPath("/a\0b")).message).toContain("NUL");
    expect(renderError(() => nixRaw("  ")).location).toBe("nixRaw");
  });

  test("a plain object with a kind key is data, not a node", () => {
    expect(toNix({ kind: "path", path: "/x" } as NixValue, { compact: true })).toBe(
      '{ kind = "path"; path = "/x"; }',
    );
  });
});

describe("round trip through nix-instantiate", () => {
  test("hand-picked strings", async () => {
    expect(await jsonRoundTrip(NASTY_STRINGS)).toEqual(NASTY_STRINGS);
  });

  test("hand-picked attribute names", async () => {
    const value = Object.fromEntries(NASTY_NAMES.map((name, i) => [name, i]));
    expect(await jsonRoundTrip([value])).toEqual([value]);
    expect(await jsonRoundTrip([value], { compact: true })).toEqual([value]);
  });

  test("hand-picked structures and numbers (JSON)", async () => {
    const values: NixValue[] = [
      [],
      {},
      [[]],
      [[[1, [2, [-3]]]], [{}]],
      { a: { b: { c: [{ d: [] }] } } },
      0,
      -5,
      [-5, -6, 7],
      9007199254740991,
      -9007199254740991,
      0.1,
      -2.5,
      1e21,
      [true, false, null],
    ];
    expect(await jsonRoundTrip(values, { unsafeIntegers: "float" })).toEqual(values);
    expect(await jsonRoundTrip(values, { unsafeIntegers: "float", compact: true })).toEqual(values);
  });

  test("Nix 2.8 prints JSON floats with 6 significant digits (why the exact check exists)", async () => {
    expect(await jsonRoundTrip([0.1, 0.30000000000000004, 123456789.123])).toEqual([0.1, 0.3, 123457000]);
  });

  test("floats and integers are exact and typed right (compared inside Nix)", async () => {
    const values: NixValue[] = [
      0.1,
      0.30000000000000004,
      123456789.123,
      -2.5,
      1e21,
      -1e21,
      1.7976931348623157e308,
      -1.7976931348623157e308,
      2.2250738585072014e-308,
      5e-324,
      -5e-324,
      2.225073858507201e-308,
      1e-7,
      Math.PI,
      -Math.E,
      2 ** 53,
      9007199254740991,
      -9007199254740991,
      0,
      1,
      -1,
    ];
    const result = await exactRoundTrip(values);
    expect(result.equal).toEqual(values.map(() => true));
    expect(result.types).toEqual(values.map((v) => (Number.isSafeInteger(v) ? "int" : "float")));
  });

  test("bigints reach Nix as exact 64-bit integers", async () => {
    const values = [2n ** 63n - 1n, -(2n ** 63n), -1n, 0n];
    const main = `let v = import ./rendered.nix; in { strings = map toString v; types = map builtins.typeOf v; }`;
    expect(await evalNix({ "main.nix": main, "rendered.nix": toNix(values) })).toEqual({
      strings: values.map(String),
      types: ["int", "int", "int", "int"],
    });
  });

  test("paths keep their type and resolve where Nix would", async () => {
    const cases = [
      "/",
      "/nix/store/abc-foo+bar_1.0",
      "/tmp/a b",
      '/tmp/${x}/"q"',
      "/tmp/dir/",
      "/tmp/ünï/😀",
      "./x",
      "./a b/c",
      "../up",
      "../a b",
      ".",
      "..",
    ];
    const main = `let v = import ./rendered.nix; in { strings = map toString v; types = map builtins.typeOf v; }`;
    const result = (await evalNix({ "main.nix": main, "rendered.nix": toNix(cases.map(nixPath)) })) as {
      strings: string[];
      types: string[];
    };
    const dir = join(workDir, `case-${fileCounter}`);
    expect(result.types).toEqual(cases.map(() => "path"));
    expect(result.strings).toEqual([
      "/",
      "/nix/store/abc-foo+bar_1.0",
      "/tmp/a b",
      '/tmp/${x}/"q"',
      "/tmp/dir",
      "/tmp/ünï/😀",
      `${dir}/x`,
      `${dir}/a b/c`,
      `${dirname(dir)}/up`,
      `${dirname(dir)}/a b`,
      dir,
      dirname(dir),
    ]);
  });

  test("raw nodes are evaluated in place", async () => {
    const value = { sys: nixRaw("builtins.currentSystem"), sum: [nixRaw("1 + 2"), nixRaw("4 # four")] };
    expect(await jsonRoundTrip([value])).toEqual([{ sys: "x86_64-linux", sum: [3, 4] }]);
  });
});

// Generated cases: arbitrary JSON-like values biased towards what is hard for a Nix printer.
const fragment = fc.constantFrom(
  "$",
  "{",
  "}",
  "${",
  "$${",
  "\\",
  '"',
  "'",
  "''",
  "\n",
  "\r",
  "\t",
  " ",
  "a",
  "é",
  "😀",
  "\u200f",
  "#",
  "/*",
);
const nastyString = fc.oneof(
  fc.string({ unit: "binary" }).filter((s) => !s.includes("\0")),
  fc.array(fragment, { maxLength: 8 }).map((parts) => parts.join("")),
);
const attrName = fc
  .oneof(nastyString, fc.constantFrom(...NASTY_NAMES), fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_'-]{0,6}$/))
  // Nix gives these two names a meaning of their own (string coercion), so they are not plain data.
  .filter((k) => k !== "outPath" && k !== "__toString");
const finiteDouble = fc.double({ noNaN: true, noDefaultInfinity: true });

function valueArbitrary(number: fc.Arbitrary<number>): fc.Arbitrary<NixValue> {
  const { value } = fc.letrec<{ value: NixValue }>((tie) => ({
    value: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc.constant(null),
      fc.boolean(),
      fc.maxSafeInteger(),
      number,
      nastyString,
      fc.array(tie("value"), { maxLength: 4 }),
      fc.dictionary(attrName, tie("value"), { maxKeys: 4 }),
    ),
  }));
  return value;
}

describe("property: generated values round-trip", () => {
  test("through Nix's JSON output (floats cut to the 6 digits Nix 2.8 prints)", async () => {
    const sixDigits = finiteDouble.map((x) => Number(x.toPrecision(6)));
    await fc.assert(
      fc.asyncProperty(fc.array(valueArbitrary(sixDigits), { maxLength: 25 }), async (values) => {
        expect(await jsonRoundTrip(values, { unsafeIntegers: "float" })).toEqual(
          JSON.parse(JSON.stringify(values)),
        );
        expect(await jsonRoundTrip(values, { unsafeIntegers: "float", compact: true })).toEqual(
          JSON.parse(JSON.stringify(values)),
        );
      }),
      { numRuns: 40 },
    );
  }, 120_000);

  test("exactly, compared inside Nix against builtins.fromJSON, with every type checked", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(valueArbitrary(finiteDouble), { maxLength: 25 }), async (values) => {
        const result = await exactRoundTrip(values);
        expect(result.equal).toEqual(values.map(() => true));
        expect(result.types).toEqual(values.map(skeleton));
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});
