/**
 * `nohead runall` of N fixture VMs through a Slurm host — a real single-node cluster
 * (tests/support/slurm-cluster.ts), one pilot job holding them all — against `nohead runall` of
 * the same VMs on this computer, with the pilot job's own start cost shown apart: from its
 * submission (`submittedAt` in jobs.json) to its agent listening (the mtime of the agent.json it
 * writes). Rounds alternate which side goes first; each ends with `nohead stopall` (on Slurm: the
 * VMs stopped, the job cancelled and gone). N = NOHEAD_BENCH_SLURM_VMS (default 4), rounds =
 * NOHEAD_BENCH_REPS (default 3).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureFixture } from "../tests/fixture/build-fixture.ts";
import { makeFixtureFleet } from "../tests/support/fixture-fleet.ts";
import { fixtureInStore } from "../tests/support/fixture-in-store.ts";
import { CLI } from "../tests/support/run-cli.ts";
import { slurmAvailable, startSlurmCluster } from "../tests/support/slurm-cluster.ts";
import type { Benchmark, BenchContext } from "./benchmark.ts";
import { makeFigure } from "./figure.ts";
import { reapQemuUnder } from "./qemu-reaper.ts";

/** Runs `nohead <args>` in `cwd`; returns its wall time, failing on a non-zero exit. */
async function nohead(cwd: string, args: string[], env: Record<string, string | undefined>): Promise<number> {
  const started = performance.now();
  const child = Bun.spawn(["bun", CLI, ...args], { cwd, env, stdout: "pipe", stderr: "pipe" });
  const [code, stderr] = await Promise.all([child.exited, new Response(child.stderr).text()]);
  if (code !== 0) throw new Error(`nohead ${args.join(" ")} exited ${code}: ${stderr.slice(-2000)}`);
  return performance.now() - started;
}

/** The pilot job's start cost of the (one) job running in `projectDir`: submission → agent listening. */
function pilotStartMs(projectDir: string): number {
  const pilots = join(projectDir, ".nohead", "slurm", "cluster");
  const { jobs } = JSON.parse(readFileSync(join(pilots, "jobs.json"), "utf8")) as {
    jobs: { dir: string; submittedAt: string }[];
  };
  const [job] = jobs;
  if (!job || jobs.length !== 1) throw new Error(`expected one pilot job, found ${jobs.length}`);
  return statSync(join(job.dir, "agent.json")).mtimeMs - Date.parse(job.submittedAt);
}

export const slurm: Benchmark = {
  name: "slurm",
  description: "runall of N VMs via a single-node Slurm cluster (one pilot job) vs runall on this computer",
  async run(context: BenchContext) {
    if (!slurmAvailable()) {
      context.problem("Slurm cannot run here (needs root and Debian's slurm-wlm and munge): skipped");
      return;
    }
    const count = Number(process.env.NOHEAD_BENCH_SLURM_VMS ?? 4);
    const reps = Number(process.env.NOHEAD_BENCH_REPS ?? 3);
    await ensureFixture();
    const root = mkdtempSync(join(tmpdir(), "nohead-bench-slurm-"));
    const cluster = await startSlurmCluster();
    try {
      const configs = (host: string) => `{ ... }: { vm = { count = ${count};${host} }; }`;
      const local = await fixtureInStore(
        await makeFixtureFleet(configs(""), { projectDir: join(root, "local") }),
      );
      const onSlurm = await fixtureInStore(
        await makeFixtureFleet(configs(` host = "cluster";`), { projectDir: join(root, "slurm") }),
      );
      mkdirSync(join(onSlurm.projectDir, ".nohead"), { recursive: true });
      writeFileSync(
        join(onSlurm.projectDir, ".nohead", "hosts.json"),
        JSON.stringify({
          hosts: {
            cluster: {
              slurm: { partition: cluster.partition, agentAddress: "loopback", maxCoresPerJob: 64 },
              closures: "shared",
            },
          },
        }),
      );
      const samples = {
        local: [] as number[],
        slurm: [] as number[],
        pilot: [] as number[],
        stop: [] as number[],
      };
      const ratios: number[] = [];
      for (let round = 0; round < reps; round++) {
        const sides = round % 2 === 0 ? (["local", "slurm"] as const) : (["slurm", "local"] as const);
        const took: Record<string, number> = {};
        for (const side of sides) {
          context.log(
            `round ${round + 1}/${reps}: runall of ${count} VMs ${side === "local" ? "here" : "via Slurm"}…`,
          );
          const dir = side === "local" ? local.projectDir : onSlurm.projectDir;
          const ms = await nohead(dir, ["runall", "-n", "--json"], cluster.env);
          took[side] = ms;
          samples[side].push(ms);
          if (side === "slurm") samples.pilot.push(pilotStartMs(dir));
          const stopMs = await nohead(dir, ["stopall", "--json"], cluster.env);
          if (side === "slurm") samples.stop.push(stopMs);
        }
        ratios.push((took.slurm as number) / (took.local as number));
      }
      const n = `${count} VM${count === 1 ? "" : "s"}`;
      context.record(
        makeFigure({ name: `runall ${n} on this computer`, unit: "ms", samples: samples.local }),
      );
      context.record(
        makeFigure({
          name: `runall ${n} via Slurm`,
          unit: "ms",
          samples: samples.slurm,
          note: "one pilot job: sbatch, the job's start, its agent's start, then the VMs on it",
        }),
      );
      context.record(
        makeFigure({
          name: "pilot job: sbatch → its agent listening",
          unit: "ms",
          samples: samples.pilot,
          note: "part of the runall above: what Slurm and the agent's start add before any VM starts",
        }),
      );
      context.record(
        makeFigure({ name: "runall via Slurm / runall here", unit: "x", samples: ratios, note: "per round" }),
      );
      context.record(
        makeFigure({
          name: `stopall ${n} via Slurm`,
          unit: "ms",
          samples: samples.stop,
          note: "the VMs stopped, then the job cancelled and waited out",
        }),
      );
    } finally {
      await cluster.stop();
      const reaped = await reapQemuUnder(root);
      if (reaped.length > 0) context.problem(`${reaped.length} QEMU process(es) left behind were killed`);
      rmSync(root, { recursive: true, force: true });
    }
  },
};
