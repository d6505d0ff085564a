/**
 * A real single-node Slurm cluster for tests and benchmarks (Debian's munge, slurmctld and slurmd,
 * run as root): its own munge key and socket, slurm.conf, state, spool and logs under a temp dir,
 * free ports, no cgroups (proctrack/linuxproc, task/none). The node declares more CPUs and memory
 * than the machine has (config_overrides), so a few fixture VMs of 1 core fit on 2 cores.
 * `stop()` cancels every job and ends every daemon it started, by pid.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";

export interface SlurmCluster {
  /** Its slurm.conf: pass it as SLURM_CONF to the client commands. */
  conf: string;
  /** The environment of a client of this cluster (SLURM_CONF set). */
  env: Record<string, string | undefined>;
  partition: string;
  /** The node's name (this machine's short host name). */
  node: string;
  /** Stops the controller (the cluster stops answering; the node and its jobs stay). */
  stopController(): Promise<void>;
  /** Starts the controller again, waiting until it answers. */
  startController(): Promise<void>;
  /** Cancels every job, ends every daemon, removes the temp dir. */
  stop(): Promise<void>;
}

/** Whether this machine can run the test cluster (root, Debian's Slurm and munge installed). */
export function slurmAvailable(): boolean {
  return (
    process.getuid?.() === 0 &&
    ["slurmctld", "slurmd", "munged", "sbatch"].every((c) =>
      Bun.which(c, { PATH: `${process.env.PATH}:/usr/sbin` }),
    )
  );
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function pidIn(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, "utf8").trim());
    return pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Sends SIGTERM to the pid in `file`, then SIGKILL if it has not ended within 10 s. */
async function endDaemon(file: string): Promise<void> {
  const pid = pidIn(file);
  if (pid === null) return;
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + 10_000;
  while (alive() && Date.now() < deadline) await Bun.sleep(100);
  if (alive()) process.kill(pid, "SIGKILL");
}

async function run(argv: string[], env: Record<string, string | undefined>): Promise<string> {
  const child = Bun.spawn(argv, { env, stdin: "ignore", stdout: "pipe", stderr: "pipe", timeout: 30_000 });
  const [out, err, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  if (code !== 0) throw new Error(`${argv.join(" ")} exited ${code}: ${err.trim()}`);
  return out;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await Bun.sleep(250);
  }
  throw new Error(`the test Slurm cluster: ${what} within ${timeoutMs} ms`);
}

/**
 * Starts the cluster and resolves once its node is idle.
 *
 * @example
 * const cluster = await startSlurmCluster();
 * await Bun.spawn(["sinfo"], { env: cluster.env }).exited;
 * await cluster.stop();
 */
export async function startSlurmCluster({ cpus = 16, memoryMiB = 16_000 } = {}): Promise<SlurmCluster> {
  if (!slurmAvailable()) {
    throw new Error(
      "the test cluster needs root and Debian's slurmctld, slurmd, slurm-client and munge: run scripts/setup-machine.sh",
    );
  }
  const root = mkdtempSync(join(tmpdir(), "nohead-slurm-"));
  // slurmd and munged check the path to their files: readable, not writable by others.
  chmodSync(root, 0o755);
  const dirs = {
    munge: join(root, "munge"),
    state: join(root, "state"),
    spool: join(root, "spool"),
    log: join(root, "log"),
  };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { mode: 0o700 });
  chmodSync(dirs.munge, 0o711);
  const key = join(dirs.munge, "munge.key");
  writeFileSync(key, crypto.getRandomValues(new Uint8Array(1024)), { mode: 0o400 });
  const socket = join(dirs.munge, "munge.socket");
  const node = hostname().split(".")[0] as string;
  const partition = "debug";
  const [ctldPort, slurmdPort] = [await freePort(), await freePort()];
  const conf = join(root, "slurm.conf");
  const pids = {
    munged: join(dirs.munge, "munged.pid"),
    ctld: join(root, "slurmctld.pid"),
    slurmd: join(root, "slurmd.pid"),
  };
  writeFileSync(
    conf,
    [
      "ClusterName=nohead-test",
      `SlurmctldHost=${node}(127.0.0.1)`,
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${slurmdPort}`,
      "SlurmUser=root",
      "AuthType=auth/munge",
      `AuthInfo=socket=${socket}`,
      "CredType=cred/munge",
      "ProctrackType=proctrack/linuxproc",
      "TaskPlugin=task/none",
      "JobAcctGatherType=jobacct_gather/none",
      "SelectType=select/cons_tres",
      "SelectTypeParameters=CR_Core_Memory",
      "ReturnToService=2",
      "MpiDefault=none",
      "SlurmdParameters=config_overrides",
      // A controller that is down is found out in seconds, not the default 10 s per try.
      "MessageTimeout=3",
      "KillWait=30",
      `StateSaveLocation=${dirs.state}`,
      `SlurmdSpoolDir=${dirs.spool}`,
      `SlurmctldPidFile=${pids.ctld}`,
      `SlurmdPidFile=${pids.slurmd}`,
      `SlurmctldLogFile=${join(dirs.log, "slurmctld.log")}`,
      `SlurmdLogFile=${join(dirs.log, "slurmd.log")}`,
      `NodeName=${node} NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=${memoryMiB} State=UNKNOWN`,
      `PartitionName=${partition} Nodes=${node} Default=YES MaxTime=INFINITE State=UP`,
      "",
    ].join("\n"),
  );
  const env = { ...process.env, SLURM_CONF: conf };
  const startController = async () => {
    await run(["slurmctld", "-f", conf], env);
    await waitFor("slurmctld did not answer", async () =>
      (await run(["scontrol", "ping"], env)).includes("UP"),
    );
  };
  const cluster: SlurmCluster = {
    conf,
    env,
    partition,
    node,
    stopController: () => endDaemon(pids.ctld),
    startController,
    stop: async () => {
      await run(["scancel", "--full", `--partition=${partition}`], env).catch(() => undefined);
      // Wait for the jobs to end (their agents stop their VMs on SIGTERM), bounded.
      await waitFor(
        "jobs did not end",
        async () => (await run(["squeue", "-h"], env)).trim() === "",
        45_000,
      ).catch(() => undefined);
      for (const file of [pids.slurmd, pids.ctld, pids.munged]) await endDaemon(file);
      rmSync(root, { recursive: true, force: true });
    },
  };
  try {
    await run(
      [
        "munged",
        "--force",
        `--key-file=${key}`,
        `--socket=${socket}`,
        `--pid-file=${pids.munged}`,
        `--log-file=${join(dirs.log, "munged.log")}`,
        `--seed-file=${join(dirs.munge, "munged.seed")}`,
      ],
      env,
    );
    await startController();
    await run(["slurmd", "-f", conf], env);
    await waitFor("the node did not become idle", async () =>
      (await run(["sinfo", "-h", "-o", "%T"], env)).trim().startsWith("idle"),
    );
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}
