/** Pass-through argument lists (`exec vm -- cmd`, `run vm -- -m 2048`): the `--` is ours, not theirs. */
export function withoutSeparator(args: string[]): string[] {
  return args[0] === "--" ? args.slice(1) : args;
}
