/**
 * The test command of the README and CI: runs `bun test` (JUnit report to a file, whole run
 * bounded), then prints the closing line `N passed, N failed` counted from the report.
 * Extra arguments go to `bun test` (e.g. a path filter).
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dir, "..");
const reportDir = join(root, "test-results");
mkdirSync(reportDir, { recursive: true });
const report = join(reportDir, "junit.xml");
const limitSeconds = Number(process.env.NOHEAD_TEST_TIMEOUT ?? 1800);

const child = Bun.spawn(
  [
    "timeout",
    "-k",
    "10",
    String(limitSeconds),
    "bun",
    "test",
    "--timeout=180000",
    "--reporter=junit",
    `--reporter-outfile=${report}`,
    ...Bun.argv.slice(2),
  ],
  { cwd: root, stdio: ["inherit", "inherit", "inherit"] },
);
const code = await child.exited;

let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const xml = readFileSync(report, "utf8");
  for (const match of xml.matchAll(/<testcase\b[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const body = match[2] ?? "";
    if (/<(failure|error)\b/.test(body)) failed++;
    else if (/<skipped\b/.test(body)) skipped++;
    else passed++;
  }
} catch {
  failed++;
  console.error(`no test report at ${report}: bun test did not finish (exit ${code})`);
}
if (code !== 0 && failed === 0) {
  // The runner itself failed (timeout, crash): that is a failure even if no test case says so.
  failed++;
  console.error(`bun test exited with ${code}${code === 124 ? ` (timed out after ${limitSeconds}s)` : ""}`);
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 ? 1 : 0);
