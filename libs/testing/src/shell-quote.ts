/** Quotes a value for a POSIX shell command line: the value reaches the program as one argument. */

/**
 * @example
 * shellQuote("it's a file") // => "'it'\\''s a file'"
 */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}
