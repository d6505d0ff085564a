/**
 * Renders JSON-like TypeScript values as Nix source: the one place where nohead writes Nix.
 *
 * Every value is printed so that the Nix 2.8 evaluator reads back exactly the same value
 * (checked by round-trip tests against the real `nix-instantiate`). Values Nix cannot hold
 * (NaN, infinities, strings with NUL or lone surrogates, integers JavaScript cannot represent
 * exactly) are refused with a {@link NixRenderError} that names where the value sits.
 */
import { NoheadError } from "@nohead/schema";

/** A Nix path value (`/abs`, `./rel`, `../rel`), made with {@link nixPath}. */
export class NixPath {
  readonly path: string;
  /** @internal use {@link nixPath}, which validates */
  constructor(path: string) {
    this.path = path;
  }
}

/** Nix source inserted verbatim (in parentheses), made with {@link nixRaw}. */
export class NixRaw {
  readonly source: string;
  /** @internal use {@link nixRaw}, which validates */
  constructor(source: string) {
    this.source = source;
  }
}

/**
 * What {@link toNix} can render. Objects must be plain (`{}` or `Object.create(null)`);
 * object properties whose value is `undefined` are skipped, as `JSON.stringify` does.
 * `bigint` renders as a Nix integer and must fit Nix's signed 64 bits.
 */
export type NixValue =
  | string
  | number
  | bigint
  | boolean
  | null
  | NixPath
  | NixRaw
  | readonly NixValue[]
  | { readonly [key: string]: NixValue | undefined };

/** Options of {@link toNix}. */
export interface ToNixOptions {
  /** One line (`{ a = 1; b = [ 1 2 ]; }`) instead of one binding or element per line. Default `false`. */
  compact?: boolean;
  /** Spaces per nesting level in pretty output, 0 to 16. Default 2. */
  indent?: number;
  /**
   * What to do with an integral `number` outside ±(2^53−1): `"error"` (default) refuses it,
   * since it has already lost precision in JavaScript; `"float"` emits it as a Nix float,
   * which holds exactly the same double.
   */
  unsafeIntegers?: "error" | "float";
}

/**
 * Why a value could not be rendered, and where it sits (`$` is the root, `$.a[2]` a nested one).
 * A `config` NoheadError: the values usually come from the user's configuration.
 */
export class NixRenderError extends NoheadError {
  override name = "NixRenderError";
  /** Where the value sits, in JSONPath-like notation, or `options.<name>` for a bad option. */
  readonly location: string;
  /** The offending value. */
  readonly value: unknown;

  constructor(location: string, value: unknown, message: string, options?: { cause?: unknown }) {
    // nixPath()/nixRaw() name themselves; everything else sits inside a toNix() call.
    const where = location === "nixPath" || location === "nixRaw" ? location : `toNix: ${location}`;
    super("config", `${where}: ${message}`, { cause: options?.cause });
    this.location = location;
    this.value = value;
  }
}

const KEYWORDS = new Set(["if", "then", "else", "assert", "with", "let", "in", "rec", "inherit", "or"]);
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_'-]*$/;
// Nix 2.8's lexer: PATH_CHAR is [a-zA-Z0-9._+-]; every segment must be non-empty and a trailing
// slash is an error, so anything else goes through string concatenation instead.
const PATH_SEGMENTS = "(?:/[A-Za-z0-9._+-]+)+";
const ABSOLUTE_PATH_LITERAL = new RegExp(`^${PATH_SEGMENTS}$`);
const RELATIVE_PATH_LITERAL = new RegExp(`^\\.\\.?${PATH_SEGMENTS}$`);
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
// The smallest normal double: Nix's lexer rejects float literals that strtod flags ERANGE (subnormals).
const DBL_MIN = 2.2250738585072014e-308;
const SUBNORMAL_SCALE = 2 ** 600;

/**
 * Makes a Nix path value. Absolute paths (`/x`) and relative ones (`./x`, `../x`, `.`, `..`)
 * are accepted; relative ones resolve against the directory of the `.nix` file they end up in.
 * Nix canonicalises paths (`/a/../b` is `/b`, a trailing slash is dropped).
 *
 * Keep secrets out of path values: Nix copies a path it coerces to a string into the
 * world-readable store.
 *
 * @example
 * toNix({ src: nixPath("./modules/web.nix") }) // => '{\n  src = ./modules/web.nix;\n}'
 */
export function nixPath(path: string): NixPath {
  if (typeof path !== "string" || path === "") {
    throw new NixRenderError("nixPath", path, "expected a non-empty path string");
  }
  if (path.includes("\0")) {
    throw new NixRenderError("nixPath", path, "a Nix path cannot contain a NUL character");
  }
  if (!(path.startsWith("/") || /^\.\.?(\/|$)/.test(path))) {
    throw new NixRenderError(
      "nixPath",
      path,
      `expected an absolute path ("/…") or one relative to the Nix file ("./…", "../…"), got ${JSON.stringify(path)}`,
    );
  }
  if (!path.isWellFormed()) {
    throw new NixRenderError("nixPath", path, "the path contains a lone UTF-16 surrogate");
  }
  return new NixPath(path);
}

/**
 * Marks Nix source to insert verbatim, wrapped in parentheses so it composes anywhere.
 * Nothing checks it: it is the caller's Nix.
 *
 * @example
 * toNix({ system: nixRaw("builtins.currentSystem") }, { compact: true })
 * // => '{ system = (builtins.currentSystem); }'
 */
export function nixRaw(source: string): NixRaw {
  if (typeof source !== "string" || source.trim() === "") {
    throw new NixRenderError("nixRaw", source, "expected non-empty Nix source");
  }
  return new NixRaw(source);
}

/**
 * Renders `value` as a Nix expression.
 *
 * Strings are double-quoted with `"`, `\`, `${`, newline, carriage return and tab escaped
 * (unicode is kept as is). Attribute names are bare when Nix allows it, quoted otherwise.
 * Negative numbers are parenthesised so they are safe inside lists. Floats round-trip exactly.
 *
 * Nix sorts attribute names, and a set with an `outPath` or `__toString` attribute behaves
 * like a string in Nix: that is Nix's meaning, not something `toNix` changes.
 *
 * @example
 * toNix({ name: "web", ports: [80, -1], "a.b": 0.5 })
 * // => '{\n  name = "web";\n  ports = [\n    80\n    (-1)\n  ];\n  "a.b" = 0.5;\n}'
 * toNix({ name: "web", ports: [80] }, { compact: true }) // => '{ name = "web"; ports = [ 80 ]; }'
 */
export function toNix(value: NixValue, options: ToNixOptions = {}): string {
  const { compact = false, indent = 2, unsafeIntegers = "error" } = options;
  if (typeof compact !== "boolean") {
    throw new NixRenderError("options.compact", compact, `expected a boolean, got \`${String(compact)}\``);
  }
  if (!Number.isInteger(indent) || indent < 0 || indent > 16) {
    throw new NixRenderError(
      "options.indent",
      indent,
      `expected an integer from 0 to 16 (spaces per level), got \`${String(indent)}\``,
    );
  }
  if (unsafeIntegers !== "error" && unsafeIntegers !== "float") {
    throw new NixRenderError(
      "options.unsafeIntegers",
      unsafeIntegers,
      `expected "error" or "float", got \`${String(unsafeIntegers)}\``,
    );
  }
  const printer = new Printer(compact, " ".repeat(indent), unsafeIntegers);
  return printer.value(value, "$", "");
}

/**
 * Renders `text` as a double-quoted Nix string literal.
 *
 * @example
 * nixString("cost: ${price}") // => '"cost: \\${price}"'
 */
export function nixString(text: string, location = "$"): string {
  if (text.includes("\0")) {
    throw new NixRenderError(location, text, "Nix strings cannot contain a NUL character (U+0000)");
  }
  if (!text.isWellFormed()) {
    throw new NixRenderError(
      location,
      text,
      "the string contains a lone UTF-16 surrogate, which has no UTF-8 form; fix the string's source",
    );
  }
  // Only `${` starts interpolation: a `$` before anything else (even `$${`) is literal, and
  // escaping exactly the `$` that precedes `{` keeps `$$`/`$"`/trailing `$` working.
  const body = text.replace(/[\\"\n\r\t]|\$(?=\{)/g, (c) => STRING_ESCAPES[c] ?? c);
  return `"${body}"`;
}

/**
 * Renders an attribute name: bare when it is a Nix identifier and not a keyword, else quoted.
 *
 * @example
 * nixAttrName("web-1") // => "web-1"
 * nixAttrName("a.b") // => '"a.b"'
 */
export function nixAttrName(name: string, location = "$"): string {
  return IDENTIFIER.test(name) && !KEYWORDS.has(name) ? name : nixString(name, location);
}

const STRING_ESCAPES: Record<string, string> = {
  "\\": "\\\\",
  '"': '\\"',
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  $: "\\$",
};

class Printer {
  constructor(
    private readonly compact: boolean,
    private readonly unit: string,
    private readonly unsafeIntegers: "error" | "float",
    private readonly parents = new Set<object>(),
  ) {}

  value(value: unknown, location: string, pad: string): string {
    switch (typeof value) {
      case "string":
        return nixString(value, location);
      case "boolean":
        return value ? "true" : "false";
      case "number":
        return this.number(value, location);
      case "bigint":
        return bigintLiteral(value, location);
      case "object":
        if (value === null) return "null";
        if (value instanceof NixPath) return pathExpression(value.path);
        if (value instanceof NixRaw) return rawExpression(value.source);
        return this.nested(value, location, pad);
      default:
        throw new NixRenderError(
          location,
          value,
          `cannot render a ${typeof value} as Nix; use a string, number, boolean, null, list, plain object, nixPath() or nixRaw()`,
        );
    }
  }

  private nested(value: object, location: string, pad: string): string {
    if (this.parents.has(value)) {
      throw new NixRenderError(
        location,
        value,
        "the value contains itself (a cycle); Nix data must be a tree",
      );
    }
    this.parents.add(value);
    try {
      if (Array.isArray(value)) return this.list(value, location, pad);
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        const kind = proto?.constructor?.name ?? "unknown";
        throw new NixRenderError(
          location,
          value,
          `cannot render a ${kind} instance as Nix; convert it to a plain object, string or number first`,
        );
      }
      return this.attrs(value as Record<string, unknown>, location, pad);
    } finally {
      this.parents.delete(value);
    }
  }

  private list(items: readonly unknown[], location: string, pad: string): string {
    if (items.length === 0) return "[ ]";
    const inner = pad + this.unit;
    const rendered: string[] = [];
    for (let i = 0; i < items.length; i++) {
      // Sparse arrays have holes that Object.entries would skip: a hole is undefined, refused below.
      rendered.push(this.value(items[i], `${location}[${i}]`, inner));
    }
    if (this.compact) return `[ ${rendered.join(" ")} ]`;
    return `[\n${rendered.map((r) => inner + r).join("\n")}\n${pad}]`;
  }

  private attrs(record: Record<string, unknown>, location: string, pad: string): string {
    const inner = pad + this.unit;
    const bindings: string[] = [];
    for (const [key, item] of Object.entries(record)) {
      if (item === undefined) continue;
      const where = IDENTIFIER.test(key) ? `${location}.${key}` : `${location}[${JSON.stringify(key)}]`;
      bindings.push(`${nixAttrName(key, where)} = ${this.value(item, where, inner)};`);
    }
    if (bindings.length === 0) return "{ }";
    if (this.compact) return `{ ${bindings.join(" ")} }`;
    return `{\n${bindings.map((b) => inner + b).join("\n")}\n${pad}}`;
  }

  private number(value: number, location: string): string {
    if (!Number.isFinite(value)) {
      throw new NixRenderError(location, value, `Nix has no ${String(value)}; use a finite number or null`);
    }
    if (Number.isInteger(value)) {
      if (Number.isSafeInteger(value)) return value < 0 ? `(${value})` : String(Math.abs(value));
      if (this.unsafeIntegers === "error") {
        throw new NixRenderError(
          location,
          value,
          `${value} is an integer outside ±(2^53−1), so JavaScript may already have rounded it; ` +
            'pass a bigint for an exact Nix integer, or { unsafeIntegers: "float" } to emit a Nix float',
        );
      }
    }
    return floatLiteral(value);
  }
}

function bigintLiteral(value: bigint, location: string): string {
  if (value < INT64_MIN || value > INT64_MAX) {
    throw new NixRenderError(location, value, `${value} does not fit Nix's 64-bit signed integers`);
  }
  // The lexer reads a literal as a positive int64, so the minimum needs arithmetic.
  if (value === INT64_MIN) return `(${INT64_MIN + 1n} - 1)`;
  return value < 0n ? `(${value})` : String(value);
}

/** Exact Nix float expression for a finite double (shortest round-trip digits, Nix float grammar). */
function floatLiteral(value: number): string {
  const magnitude = Math.abs(value);
  if (magnitude < DBL_MIN) {
    // Nix rejects subnormal literals; the product of two normal doubles is exact here.
    const scaled = `${floatDigits(magnitude * SUBNORMAL_SCALE)} * ${floatDigits(1 / SUBNORMAL_SCALE)}`;
    return value < 0 ? `(-(${scaled}))` : `(${scaled})`;
  }
  const digits = floatDigits(magnitude);
  return value < 0 ? `(-${digits})` : digits;
}

/** JavaScript's shortest round-trip digits, reshaped to Nix's FLOAT token (needs a `.`). */
function floatDigits(magnitude: number): string {
  const [mantissa = "", exponent] = String(magnitude).split("e");
  const withDot = mantissa.includes(".") ? mantissa : `${mantissa}.0`;
  return exponent === undefined ? withDot : `${withDot}e${exponent.replace("+", "")}`;
}

function rawExpression(source: string): string {
  // A `#` comment on the last line would swallow the closing parenthesis.
  return source.includes("#") ? `(${source}\n)` : `(${source})`;
}

function pathExpression(path: string): string {
  if (path === "/") return "/.";
  if (path === "." || path === "..") return `${path}/.`;
  if (ABSOLUTE_PATH_LITERAL.test(path) || RELATIVE_PATH_LITERAL.test(path)) return path;
  // `+` on a path canonicalises, so `./. + "/../x y"` still means `../x y`.
  if (path.startsWith("/")) return `(/. + ${nixString(path)})`;
  return `(./. + ${nixString(`/${path.replace(/^\.\//, "")}`)})`;
}
