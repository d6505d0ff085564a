/**
 * Pass-through argument lists (`run vm -n -- -m 2048`, `exec vm --json -- cmd`). Commander passes
 * everything after the machine name through; nohead's own flags of that command (its table in
 * command-specs.ts) may still lead it there (`run db -r R -n -m 2048`), so they are taken back, up
 * to the first other argument; everything after `--` is passed through as it is.
 */
import { type CommandSpec, type OptionSpec, optionKey, optionNames } from "./command-specs.ts";

/** Drops the leading `--` that separates nohead's arguments from the passed-through ones. */
function withoutSeparator(args: string[]): string[] {
  return args[0] === "--" ? args.slice(1) : args;
}

/** A usage error from the argument split (the caller turns it into nohead's usage error). */
export class ArgvError extends Error {}

/**
 * Takes `command`'s own options from the front of `args` into `options` (keyed as commander keys
 * them, values checked as the table says) and returns the arguments to pass through. A leading
 * `-h`/`--help` sets `options.help` (the command's help is printed instead of running it).
 *
 * @example
 * splitPassThrough(RUN, ["-n", "-r", "R", "-m", "2048"], opts) // => ["-m", "2048"]; opts.noui = true, opts.result = "R"
 */
export function splitPassThrough(
  command: CommandSpec,
  args: string[],
  options: Record<string, unknown>,
): string[] {
  let rest = args;
  for (;;) {
    const [first] = rest;
    if (first === undefined || first === "--") return withoutSeparator(rest);
    if (first === "-h" || first === "--help") {
      options.help = true;
      return [];
    }
    const equals = first.startsWith("--") ? first.indexOf("=") : -1;
    const flag = equals > 0 ? first.slice(0, equals) : first;
    const option = command.options.find((o) => {
      const { long, short } = optionNames(o);
      return flag === long || flag === short;
    });
    if (!option) return rest;
    if (!optionNames(option).valued) {
      options[optionKey(option)] = true;
      rest = rest.slice(1);
      continue;
    }
    const value = equals > 0 ? first.slice(equals + 1) : rest[1];
    if (value === undefined) throw new ArgvError(`option '${option.flags}' argument missing`);
    const parsed = parseValue(option, value);
    const key = optionKey(option);
    options[key] = option.repeatable ? [...((options[key] as string[] | undefined) ?? []), parsed] : parsed;
    rest = rest.slice(equals > 0 ? 1 : 2);
  }
}

/** Checks an option's value as its table says: a positive integer, one of its choices, or any string. */
export function parseValue(option: OptionSpec, value: string): string | number {
  const { long } = optionNames(option);
  if (option.choices && !option.choices.includes(value)) {
    throw new ArgvError(`${long}: expected one of ${option.choices.join(", ")}, got "${value}"`);
  }
  if (option.parse === "positive-int") {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new ArgvError(`expected a positive integer, got "${value}"`);
    return n;
  }
  return value;
}

/**
 * Removes `-r X`, `--result X` and `--result=X` from anywhere in `argv` (the fast paths of `list`
 * and `status` run without the parser): the result, or undefined, and the other arguments.
 */
export function takeResult(argv: string[]): { result: string | undefined; rest: string[] } {
  let result: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if ((arg === "-r" || arg === "--result") && i + 1 < argv.length) {
      result = argv[++i];
    } else if (arg.startsWith("--result=")) {
      result = arg.slice("--result=".length);
    } else {
      rest.push(arg);
    }
  }
  return { result, rest };
}
