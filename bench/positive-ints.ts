/** Parses a benchmark's list option (sizes, repetitions) from an environment variable. */

/**
 * `value` as positive integers separated by commas; throws naming the option and the bad value.
 *
 * @example
 * positiveInts("NOHEAD_BENCH_SIZES", "1,4,8") // => [1, 4, 8]
 */
export function positiveInts(name: string, value: string): number[] {
  const numbers = value.split(",").map((part) => Number(part.trim()));
  if (numbers.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new Error(`Expected \`${name}\` to be positive integers separated by commas, got \`${value}\``);
  }
  return numbers;
}
