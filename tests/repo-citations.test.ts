/**
 * Comments and docs cite only files of this repository: the project brief that preceded it lives
 * outside, and what the code relies on belongs in docs/ (docs/architecture.md, platform facts).
 */
import { expect, test } from "bun:test";
import { REPO_ROOT } from "./support/run-cli.ts";

test("no tracked file cites the brief outside the repository", () => {
  const outside = ["FACTS", "DESIGN", "FEATURES", "STYLE"].map((n) => `${n}\\.md`).concat(["\\.\\./shared"]);
  const found = Bun.spawnSync(
    ["git", "grep", "-n", "-E", outside.join("|"), "--", ".", ":!tests/repo-citations.test.ts"],
    {
      cwd: REPO_ROOT,
      stdout: "pipe",
    },
  );
  expect(found.stdout.toString()).toBe("");
});
