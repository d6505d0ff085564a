/**
 * End to end on a real single-node Slurm cluster (tests/support/slurm-cluster.ts): two fixture VMs
 * placed on a Slurm host start in one pilot job through the real CLI (`nohead runall`), status
 * shows their job and node, exec reaches them; the job's agent has no XDG_RUNTIME_DIR and its VMs
 * are on the project's private network; `stop node-1` leaves another (pending) job alone; a runall
 * interrupted before it read the agent is taken over by the next one (no second job); a job whose
 * agent does not answer fails only its own machines; stopall leaves no job and no QEMU; a job cancelled
 * from outside shows its VMs stopped with Slurm's reason and runall places them again (that time
 * with the agent on the node's network, reached at the node's NodeAddr); a cluster
 * whose controller is down is one clear error naming the host. Skipped where Slurm cannot run
 * (not root, or Debian's slurm-wlm and munge not installed: scripts/setup-machine.sh). With
 * closures "copy", a test sshd stands for the node's SSH and receives the closures.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { privateNetworkOf, projectAt } from "@nohead/supervisor";
import { hostsChecks } from "../../apps/cli/src/doctor/hosts-check.ts";
import { type FixtureFleet, makeFixtureFleet } from "../support/fixture-fleet.ts";
import { fixtureInStore } from "../support/fixture-in-store.ts";
import { runCli } from "../support/run-cli.ts";
import { waitUntil } from "../support/runtime-project.ts";
import { startTestSshd, type TestSshd } from "../support/test-sshd.ts";
import { type SlurmCluster, startSlurmCluster } from "../support/slurm-cluster.ts";
import { qemuUsing } from "./agent-process.ts";

/** Budget of the steps that boot VMs: generous, as CI machines are slow. */
const SLOW_MS = 240_000;
let cluster: SlurmCluster;
let fixture: FixtureFleet;
let sshd: TestSshd | undefined;

interface StatusJson {
  machines: {
    name: string;
    host: string;
    condition: string;
    readiness: string | null;
    error: string | null;
    slurmJob?: { jobId: string; node: string | null; state: string };
  }[];
}

/** The CLI's own runtime dir: valid here, but a node may not have it, so it must not reach the jobs. */
let runtimeDir: string;
const cli = (args: string[]) =>
  runCli(args, {
    cwd: fixture.projectDir,
    env: { SLURM_CONF: cluster.conf, XDG_RUNTIME_DIR: runtimeDir },
    timeoutMs: SLOW_MS,
  });

interface JobsFile {
  jobs: { jobId: string; dir: string; node: string | null; url: string | null; machines: string[] }[];
}
const jobsFile = () => join(fixture.projectDir, ".nohead", "slurm", "cluster", "jobs.json");
const readJobs = (): JobsFile => JSON.parse(readFileSync(jobsFile(), "utf8"));
const writeJobs = (jobs: JobsFile) => writeFileSync(jobsFile(), JSON.stringify(jobs));

/** The project's hosts file: the cluster, its agents on loopback or on the node's address. */
function writeHostsFile(
  agentAddress: "loopback" | "node",
  closures: Record<string, unknown> = { closures: "shared" },
  extraArgs: string[] = [],
) {
  const stateDir = join(fixture.projectDir, ".nohead");
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(
    join(stateDir, "hosts.json"),
    JSON.stringify({
      hosts: {
        cluster: {
          slurm: { partition: cluster.partition, timeLimit: "0:30:00", agentAddress, extraArgs },
          ...closures,
        },
      },
    }),
  );
}

async function squeue(): Promise<string[]> {
  const child = Bun.spawn(["squeue", "-h", "-o", "%i %T"], { env: cluster.env, stdout: "pipe" });
  return (await new Response(child.stdout).text()).trim().split("\n").filter(Boolean);
}

async function status(): Promise<StatusJson["machines"]> {
  const { stdout, exitCode, stderr } = await cli(["status", "--json"]);
  if (exitCode !== 0) throw new Error(`status failed: ${stderr}`);
  return (JSON.parse(stdout) as StatusJson).machines;
}

describe("a Slurm host", () => {
  beforeAll(async () => {
    cluster = await startSlurmCluster();
    runtimeDir = mkdtempSync(join(tmpdir(), "nohead-xdg-"));
    chmodSync(runtimeDir, 0o700);
    fixture = await fixtureInStore(
      await makeFixtureFleet(`{ ... }: { node = { count = 2; host = "cluster"; }; }`),
    );
    writeHostsFile("loopback");
  }, SLOW_MS);

  afterAll(async () => {
    // Cancelling the jobs stops their agents, which stop their VMs.
    await cluster?.stop();
    await sshd?.stop();
    for (const pid of fixture ? qemuUsing([fixture.projectDir]) : []) process.kill(pid, "SIGKILL");
    if (fixture) rmSync(fixture.projectDir, { recursive: true, force: true });
    if (runtimeDir) rmSync(runtimeDir, { recursive: true, force: true });
  }, SLOW_MS);

  test(
    "runall starts both VMs in one pilot job; status shows job and node; exec works; stop leaves other jobs alone; runall takes a job over; a dead agent fails only its machines; stopall ends the jobs",
    async () => {
      const run = await cli(["runall", "--json"]);
      expect(run.stderr).toBe("");
      expect(run.exitCode).toBe(0);
      const jobs = await squeue();
      expect(jobs).toHaveLength(1);
      const [jobId = "", state] = (jobs[0] as string).split(" ");
      expect(state).toBe("RUNNING");
      expect((await status()).map((s) => [s.name, s.host, s.condition, s.readiness, s.slurmJob])).toEqual([
        ["node-1", "cluster", "running", "ready", { jobId, node: cluster.node, state: "RUNNING" }],
        ["node-2", "cluster", "running", "ready", { jobId, node: cluster.node, state: "RUNNING" }],
      ]);
      const table = await cli(["status"]);
      expect(table.stdout).toContain(`cluster job ${jobId} on ${cluster.node}`);

      const exec = await cli(["exec", "node-2", "--", "echo", "hello from slurm"]);
      expect([exec.exitCode, exec.stdout.trim()]).toEqual([0, "hello from slurm"]);
      // QEMU runs inside the job: a descendant of the agent the job started.
      expect(qemuUsing([fixture.projectDir])).toHaveLength(2);
      // The job's directory holds its agent's token and address, for this user only.
      const pilots = join(fixture.projectDir, ".nohead", "slurm", "cluster");
      const [record] = readJobs().jobs;
      expect(record).toMatchObject({ jobId, node: cluster.node, machines: ["node-1", "node-2"] });
      const dir = record?.dir as string;
      expect([dir, join(dir, "token"), join(dir, "agent.json")].map((f) => statSync(f).mode & 0o777)).toEqual(
        [0o700, 0o600, 0o600],
      );

      // The job's agent got neither the CLI's runtime dir (the node may have none) …
      const ready = JSON.parse(readFileSync(join(dir, "agent.json"), "utf8")) as {
        pid: number;
        node: string;
      };
      expect(ready.node).toBe(cluster.node);
      const agentEnv = readFileSync(`/proc/${ready.pid}/environ`, "utf8").split("\0");
      expect(agentEnv.filter((v) => v.startsWith("XDG_RUNTIME_DIR="))).toEqual([]);
      // … and its VMs are on the project's private network, as any other job's of this project.
      const { group, port } = privateNetworkOf(
        projectAt(fixture.projectDir, join(fixture.projectDir, ".nohead")),
      );
      for (const pid of qemuUsing([fixture.projectDir]))
        expect(readFileSync(`/proc/${pid}/cmdline`, "utf8")).toContain(`mcast=${group}:${port}`);

      // Another job, still pending (another command waits for its agent), holding other machines:
      // stopping node-1 leaves it alone.
      const other = Bun.spawnSync(["sbatch", "--parsable", "--begin=now+3600", "--wrap=sleep 1"], {
        env: cluster.env,
      });
      const otherId = other.stdout.toString().trim();
      const otherDir = join(pilots, "0badc0de");
      mkdirSync(otherDir, { mode: 0o700 });
      const saved = readJobs();
      writeJobs({
        jobs: [
          ...saved.jobs,
          {
            ...(saved.jobs[0] as JobsFile["jobs"][0]),
            jobId: otherId,
            dir: otherDir,
            node: null,
            url: null,
            machines: ["other"],
          },
        ],
      });
      expect((await cli(["stop", "node-1"])).exitCode).toBe(0);
      expect((await squeue()).sort()).toEqual([`${jobId} RUNNING`, `${otherId} PENDING`].sort());
      expect(readJobs().jobs.map((j) => [j.jobId, j.machines])).toEqual([
        [jobId, ["node-1", "node-2"]],
        [otherId, ["other"]],
      ]);
      Bun.spawnSync(["scancel", otherId], { env: cluster.env });
      writeJobs(saved);
      rmSync(otherDir, { recursive: true });

      // A runall interrupted before it read the job's agent.json: the next one takes the job over
      // (no second job), and starts node-1 again there.
      writeJobs({ jobs: saved.jobs.map((j) => ({ ...j, url: null, node: null })) });
      const again = await cli(["runall"]);
      expect(again.exitCode).toBe(0);
      expect(await squeue()).toEqual([`${jobId} RUNNING`]);
      expect(readJobs().jobs.map((j) => [j.jobId, j.url, j.machines])).toEqual([
        [jobId, record?.url ?? null, ["node-1", "node-2"]],
      ]);
      expect((await status()).map((s) => [s.name, s.condition, s.slurmJob?.jobId])).toEqual([
        ["node-1", "running", jobId],
        ["node-2", "running", jobId],
      ]);

      // A job whose agent does not answer fails its own machine (node-2), with the reason; the
      // other job's machine (node-1, in a new job here) still starts and says so.
      writeJobs({
        jobs: saved.jobs.map((j) => ({ ...j, url: "http://127.0.0.1:9", machines: ["node-2"] })),
      });
      const dead = await cli(["runall", "--json"]);
      expect(dead.exitCode).toBe(1);
      const deadReport = JSON.parse(dead.stdout) as {
        machines: { machine: string; ok: boolean; error: string | null }[];
      };
      const byName = Object.fromEntries(deadReport.machines.map((m) => [m.machine, m]));
      expect([byName["node-1"]?.ok, byName["node-2"]?.ok]).toEqual([true, false]);
      expect(byName["node-2"]?.error).toContain("127.0.0.1:9");
      const [newJob] = readJobs().jobs.filter((j) => j.jobId !== jobId);
      expect(newJob?.machines).toEqual(["node-1"]);
      // Back to the truth for the stop: the first job holds both (node-1's first VM runs there too).
      writeJobs({ jobs: [...saved.jobs, newJob as JobsFile["jobs"][0]] });

      const stop = await cli(["stopall"]);
      expect(stop.exitCode).toBe(0);
      expect(await squeue()).toEqual([]);
      expect(qemuUsing([fixture.projectDir])).toEqual([]);
      // A job nohead ended cleanly leaves no directory (its VMs' state went with it).
      expect(readdirSync(pilots).sort()).toEqual(["jobs.json", "pilot.sh"]);
      expect((await status()).map((s) => [s.name, s.condition])).toEqual([
        ["node-1", "stopped"],
        ["node-2", "stopped"],
      ]);
    },
    3 * SLOW_MS,
  );

  test(
    "a job cancelled from outside: its VMs show stopped with Slurm's reason, and runall places them again",
    async () => {
      // This time the agent listens on the node's network and is reached at the node's NodeAddr.
      writeHostsFile("node");
      expect((await cli(["runall"])).exitCode).toBe(0);
      const pilots = join(fixture.projectDir, ".nohead", "slurm", "cluster");
      const [record] = (
        JSON.parse(readFileSync(join(pilots, "jobs.json"), "utf8")) as {
          jobs: { url: string; dir: string }[];
        }
      ).jobs;
      expect(record?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(readFileSync(join(record?.dir as string, "agent.json"), "utf8")).toMatch(
        // It listens on the node's NodeAddr only (127.0.0.1 here), not on every interface.
        /"url": "http:\/\/127\.0\.0\.1:\d+"/,
      );
      const [first] = (await squeue()).map((line) => line.split(" ")[0]);
      await Bun.spawn(["scancel", first as string], { env: cluster.env }).exited;
      await waitUntil(async () => (await squeue()).length === 0, 60_000);
      // The agent stopped its VMs on SIGTERM: none is left behind.
      await waitUntil(async () => qemuUsing([fixture.projectDir]).length === 0, 30_000);
      const after = await status();
      expect(after.map((s) => [s.name, s.condition, s.error, s.slurmJob?.state])).toEqual([
        ["node-1", "stopped", `Slurm job ${first} ended: CANCELLED`, "CANCELLED"],
        ["node-2", "stopped", `Slurm job ${first} ended: CANCELLED`, "CANCELLED"],
      ]);
      expect((await cli(["status"])).stdout).toContain(`node-1: Slurm job ${first} ended: CANCELLED`);
      // Stopping one of them forgets it in the ended job; the other still says why it stopped.
      expect((await cli(["stop", "node-1"])).exitCode).toBe(0);
      expect((await status()).map((s) => [s.name, s.condition, s.error])).toEqual([
        ["node-1", "stopped", null],
        ["node-2", "stopped", `Slurm job ${first} ended: CANCELLED`],
      ]);
      // Destroying the last machine of the ended job removes the job's directory (its VMs' state).
      expect((await cli(["destroy", "node-2", "--yes"])).exitCode).toBe(0);
      expect(readdirSync(pilots).sort()).toEqual(["jobs.json", "pilot.sh"]);

      expect((await cli(["runall"])).exitCode).toBe(0);
      const again = await status();
      expect(again.map((s) => [s.name, s.condition])).toEqual([
        ["node-1", "running"],
        ["node-2", "running"],
      ]);
      expect(again[0]?.slurmJob?.jobId).not.toBe(first);
      expect((await cli(["stopall"])).exitCode).toBe(0);
      expect(await squeue()).toEqual([]);
    },
    SLOW_MS,
  );

  test(
    'closures "copy": once the job has its node, the closures go there with nix copy (sshUser@NodeAddr, sshOptions)',
    async () => {
      // The node's SSH is a test sshd whose sessions use a store of their own, so the copy shows.
      const remoteStore = join(fixture.projectDir, "remote-store");
      sshd = await startTestSshd(join(fixture.projectDir, "sshd"), {
        setEnv: { NIX_REMOTE: `local?root=${remoteStore}` },
      });
      writeHostsFile("node", { closures: "copy", sshUser: "root", sshOptions: sshd.clientOptions });
      const system = fixture.manifest.machines[0]?.system as string;
      const inRemoteStore = () =>
        Bun.spawnSync(["nix", "path-info", "--store", `local?root=${remoteStore}`, system], {
          stdout: "ignore",
          stderr: "ignore",
        }).exitCode === 0;
      expect(inRemoteStore()).toBe(false);
      const run = await cli(["runall"]);
      expect(run.stderr).not.toContain("✖");
      expect(run.exitCode).toBe(0);
      expect(inRemoteStore()).toBe(true);
      // Destroying both machines of the running job, side by side, ends the job.
      expect((await cli(["destroy", "--all", "--yes"])).exitCode).toBe(0);
      expect(await squeue()).toEqual([]);
      expect(qemuUsing([fixture.projectDir])).toEqual([]);
      expect(readdirSync(join(fixture.projectDir, ".nohead", "slurm", "cluster")).sort()).toEqual([
        "jobs.json",
        "pilot.sh",
      ]);
    },
    SLOW_MS,
  );

  test(
    "a job Slurm refuses fails its machines with Slurm's words; nothing is left behind",
    async () => {
      writeHostsFile("loopback", { closures: "shared" }, ["--nodelist=no-such-node"]);
      try {
        const run = await cli(["runall", "--json"]);
        expect(run.exitCode).toBe(1);
        const { machines } = JSON.parse(run.stdout) as {
          machines: { machine: string; ok: boolean; error: string }[];
        };
        expect(machines.map((m) => [m.machine, m.ok])).toEqual([
          ["node-1", false],
          ["node-2", false],
        ]);
        expect(machines[0]?.error).toStartWith("host cluster: `sbatch --parsable --job-name=nohead-cluster");
        expect(machines[0]?.error).toContain("Batch job submission failed");
        expect(await squeue()).toEqual([]);
        expect(readdirSync(join(fixture.projectDir, ".nohead", "slurm", "cluster")).sort()).toEqual([
          "jobs.json",
          "pilot.sh",
        ]);
      } finally {
        writeHostsFile("loopback");
      }
    },
    SLOW_MS,
  );

  test(
    "a cluster that does not answer is one clear error naming the host (exit 1); doctor says which",
    async () => {
      const up = await hostsChecks(fixture.projectDir, { env: cluster.env });
      expect(up.map((c) => [c.name, c.status, c.detail])).toEqual([
        ["host cluster", "ok", "Slurm answers; partitions: debug*"],
      ]);
      await cluster.stopController();
      try {
        const [down] = await hostsChecks(fixture.projectDir, { env: cluster.env, timeoutMs: 10_000 });
        expect(down?.status).toBe("fail");
        expect(down?.detail).toStartWith("host cluster: the Slurm cluster does not answer (sinfo: ");
        const run = await cli(["runall"]);
        expect(run.exitCode).toBe(1);
        expect(run.stderr).toContain("✖ host cluster: the Slurm cluster does not answer (squeue:");
        expect(run.stderr).toContain("Unable to contact slurm controller");
        const shown = await status();
        expect(
          shown.map((s) =>
            s.error?.startsWith(
              "host cluster did not answer: host cluster: the Slurm cluster does not answer",
            ),
          ),
        ).toEqual([true, true]);
      } finally {
        await cluster.startController();
      }
    },
    SLOW_MS,
  );
});
