/**
 * How `nohead test` tells the test files which fleet they test: the project directory and the
 * build result, in the environment of the `bun test` it runs. Without them (a plain `bun test` in
 * a project), the project around the working directory and its `./result` are used.
 */

/** Environment variables set by `nohead test` for its test files. */
export const TEST_SESSION_ENV = {
  /** The project directory (absolute). */
  cwd: "NOHEAD_TEST_CWD",
  /** The build result (absolute). */
  result: "NOHEAD_TEST_RESULT",
} as const;

/** The fleet a test process tests. */
export function testSessionOf(env: Record<string, string | undefined>): { cwd: string; result: string } {
  return {
    cwd: env[TEST_SESSION_ENV.cwd] ?? process.cwd(),
    result: env[TEST_SESSION_ENV.result] ?? "result",
  };
}

/** The preload `nohead test` passes to `bun test`: it makes `import … from "nohead/test"` resolve anywhere. */
export const TEST_PRELOAD = new URL("./nohead-test-module.ts", import.meta.url).pathname;
