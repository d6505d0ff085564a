/**
 * `nohead test` against doing the same by hand: a 2-VM fixture fleet started fresh, three checks
 * in the guests (a hostname, a ping over the private network, the boot counter), everything
 * stopped. By hand = `nohead runall -n --fresh`, one `nohead exec` per check, `nohead stopall`.
 * The ratio (test / by hand, per round, median) says what the test runner costs on top:
 * bun test's start, the preload, the Machine API's polling. Rounds alternate which goes first.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureFixture } from "../tests/fixture/build-fixture.ts";
import { makeFixtureFleet } from "../tests/support/fixture-fleet.ts";
import { CLI } from "../tests/support/run-cli.ts";
import type { Benchmark, BenchContext } from "./benchmark.ts";
import { makeFigure } from "./figure.ts";
import { reapQemuUnder } from "./qemu-reaper.ts";

const TEST_FILE = `import { expect, test } from "bun:test";
import { machine } from "nohead/test";

test("the fleet works", async () => {
  expect(await machine("alpha").succeed("hostname")).toBe("alpha\\n");
  await machine("beta").succeed("ping -c 1 -W 2 alpha");
  expect(await machine("alpha").succeed("cat /run/nohead/boot-count")).toBe("1\\n");
});
`;

/** Runs `nohead <args>` in `cwd`; returns its wall time, failing on a non-zero exit. */
async function nohead(cwd: string, args: string[]): Promise<number> {
  const started = performance.now();
  const child = Bun.spawn(["bun", CLI, ...args], { cwd, stdout: "pipe", stderr: "pipe" });
  const [code, stderr] = await Promise.all([child.exited, new Response(child.stderr).text()]);
  if (code !== 0) throw new Error(`nohead ${args.join(" ")} exited ${code}: ${stderr.slice(-2000)}`);
  return performance.now() - started;
}

async function byHand(cwd: string): Promise<number> {
  let total = await nohead(cwd, ["runall", "-n", "--fresh"]);
  total += await nohead(cwd, ["exec", "alpha", "--", "hostname"]);
  total += await nohead(cwd, ["exec", "beta", "--", "ping", "-c", "1", "-W", "2", "alpha"]);
  total += await nohead(cwd, ["exec", "alpha", "--", "cat", "/run/nohead/boot-count"]);
  return total + (await nohead(cwd, ["stopall"]));
}

export const testCommand: Benchmark = {
  name: "test",
  description: "nohead test of a 2-VM fleet vs runall + the same checks by hand + stopall",
  async run(context: BenchContext) {
    const reps = Number(process.env.NOHEAD_BENCH_REPS ?? 3);
    await ensureFixture();
    const root = mkdtempSync(join(tmpdir(), "nohead-bench-test-"));
    try {
      const fleet = await makeFixtureFleet(`{ ... }: { alpha = { }; beta = { }; }`, {
        projectDir: join(root, "p"),
      });
      writeFileSync(join(fleet.projectDir, "fleet.test.ts"), TEST_FILE);
      const viaTest: number[] = [];
      const viaHand: number[] = [];
      const ratios: number[] = [];
      for (let round = 0; round < reps; round++) {
        const runTest = () => nohead(fleet.projectDir, ["test", "fleet.test.ts"]);
        let test: number;
        let hand: number;
        if (round % 2 === 0) {
          test = await runTest();
          hand = await byHand(fleet.projectDir);
        } else {
          hand = await byHand(fleet.projectDir);
          test = await runTest();
        }
        viaTest.push(test);
        viaHand.push(hand);
        ratios.push(test / hand);
        context.log(`round ${round + 1}: test ${test.toFixed(0)} ms, by hand ${hand.toFixed(0)} ms`);
      }
      context.record(
        makeFigure({
          name: "nohead test, 2 VMs",
          unit: "ms",
          samples: viaTest,
          note: "wall time, start to exit",
        }),
      );
      context.record(
        makeFigure({
          name: "runall + 3 exec + stopall, 2 VMs",
          unit: "ms",
          samples: viaHand,
          note: "the same work by hand, summed wall times",
        }),
      );
      context.record(
        makeFigure({
          name: "nohead test / by hand",
          unit: "x",
          samples: ratios,
          target: 1.1,
          note: "per round; rounds alternate which goes first",
        }),
      );
    } finally {
      const left = await reapQemuUnder(root);
      if (left.length > 0) context.problem(`QEMU left running under ${root}: ${left.join(", ")} (killed)`);
      rmSync(root, { recursive: true, force: true });
    }
  },
};
