/**
 * Pass-through argument lists (`run vm -n -- -m 2048`, `exec vm --json -- cmd`). Commander passes
 * everything after the machine name through; nohead's own flags may still come first there (the
 * old tool's `run <vm> -n`), so they are taken back, up to the first other argument or `--`.
 */

/** Drops the leading `--` that separates nohead's arguments from the passed-through ones. */
export function withoutSeparator(args: string[]): string[] {
  return args[0] === "--" ? args.slice(1) : args;
}

/**
 * Takes nohead's own flags from the front of `args` into `options`: `flags` maps a flag to the
 * option it sets to true, `valued` a flag to the option that takes the next argument.
 *
 * @example
 * takeOwnOptions(["-n", "-m", "2048"], { "-n": "noui" }, {}, {}) // => { rest: ["-m", "2048"] } and options.noui = true
 */
export function takeOwnOptions(
  args: string[],
  flags: Record<string, string>,
  valued: Record<string, string>,
  options: Record<string, unknown>,
): string[] {
  let rest = args;
  for (;;) {
    const [first, second] = rest;
    if (first !== undefined && first in flags) {
      options[flags[first] as string] = true;
      rest = rest.slice(1);
    } else if (first !== undefined && first in valued && second !== undefined) {
      options[valued[first] as string] = second;
      rest = rest.slice(2);
    } else {
      return withoutSeparator(rest);
    }
  }
}
