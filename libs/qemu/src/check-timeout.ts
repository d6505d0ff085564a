/** Option checking shared by the QMP and guest-agent clients. */

/** Returns `value` when it is a positive, finite number of milliseconds; throws naming the option otherwise. */
export function checkTimeout(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new TypeError(
      `Expected the \`${name}\` option to be a positive number of milliseconds, got \`${value}\``,
    );
  }
  return value;
}
