/**
 * Runs a command once and checks what it printed before it is timed: a benchmark of a command
 * that fails, or does something else than intended, measures nothing.
 */

/**
 * Runs `argv` in `cwd`; throws unless it exits 0 and `accept(stdout)` returns null. `accept`
 * returns what is wrong with the output otherwise. Returns stdout.
 *
 * @example
 * checkCommand(["bun", cli, "list"], dir, (out) => (out === "" ? null : `expected no output, got ${out}`));
 */
export function checkCommand(
  argv: string[],
  cwd: string,
  accept: (stdout: string) => string | null = () => null,
  env: Record<string, string> = {},
): string {
  const result = Bun.spawnSync(argv, {
    cwd,
    env: { ...process.env, NO_COLOR: "1", ...env },
    stdout: "pipe",
    stderr: "pipe",
    timeout: 120_000,
  });
  const stdout = result.stdout.toString();
  const command = argv.join(" ");
  if (result.exitCode !== 0) {
    throw new Error(
      `\`${command}\` in ${cwd} exited with ${result.exitCode}: ${result.stderr.toString().trim()}`,
    );
  }
  const problem = accept(stdout);
  if (problem !== null)
    throw new Error(`\`${command}\` in ${cwd} did not do what the benchmark times: ${problem}`);
  return stdout;
}
