/**
 * A Slurm cluster as a Host: the machines placed on it run in pilot jobs — `sbatch` of
 * `nohead agent serve`, sized to the machines packed into each (pack-machines.ts) — and start on
 * each job's agent exactly as on any agent (ApiHost). Status adds each VM's job and node, and a VM
 * whose job Slurm ended shows Slurm's reason; a job lives as long as it holds machines: a stop
 * that stopped all of them ends it, and a start cancels the live jobs left holding none.
 * nohead never schedules: Slurm decides where and when each job runs (docs/slurm.md).
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ExecResult } from "@nohead/qemu";
import { type ManifestMachine, NoheadError, type VmEvent } from "@nohead/schema";
import { failedBeforeStart, notRunningReport, type StartResult, type StopReport } from "@nohead/supervisor";
import { notStartedStatus } from "@nohead/supervisor/status-from-state";
import { ApiHost } from "../api-host.ts";
import { createTokenFile, readTokenFile } from "../api/token-file.ts";
import { closureRoots, copyClosure } from "../copy-closure.ts";
import type {
  ClosureTransport,
  Host,
  HostCapabilities,
  HostLogOptions,
  HostStartOptions,
  PlacedVmStatus,
  StreamedExecEnd,
  StreamingExecOptions,
} from "../host.ts";
import type { ResolvedSlurmHost } from "../hosts-file.ts";
import { packMachines, type PilotJobShape } from "./pack-machines.ts";
import {
  type PilotRecord,
  pilotDir,
  readAgentReady,
  readPilotRecords,
  removeJobDir,
  writePilotRecords,
} from "./pilot-records.ts";
import { slurmNodeAddress } from "./node-address.ts";
import { runSlurmCommand } from "./slurm-command.ts";
import { jobAlive, jobEnd, listOwnJobs, type SlurmJob } from "./slurm-jobs.ts";
import { endWarning } from "./slurm-time-limit.ts";

/** The pilot job's script: it runs its arguments, so no user value ever meets a shell. */
const PILOT_SCRIPT =
  '#!/bin/sh\n# A nohead pilot job: runs `nohead agent serve …` (docs/slurm.md).\nexec "$@"\n';
/** How long a cancelled job may take to end: Slurm's default KillWait (30 s) and some. */
const JOB_END_TIMEOUT_MS = 60_000;
/** A job Slurm no longer knows. */
const ENDED: SlurmJob = { jobId: "", state: "GONE", reason: "None", node: null };
/**
 * How long one answer of Slurm about this user's jobs serves: everything waiting at once shares
 * it, so a command asks the controller at most this often (reading a job's file is cheap).
 */
const JOB_POLL_MS = 2000;
/** How often a wait for an agent reads its job's `agent.json`. */
const WAIT_ROUND_MS = 100;
/** Rounds of {@link WAIT_ROUND_MS} between two looks at the job's state. */
const JOB_POLL_ROUNDS = JOB_POLL_MS / WAIT_ROUND_MS;

export interface SlurmHostOptions {
  host: ResolvedSlurmHost;
  /** The project's state dir (`.nohead`): the jobs' records and directories live under it. */
  stateDir: string;
  /** The argv that runs `nohead agent serve` with this same program. */
  agentServe: string[];
  /**
   * The client project's id: its pilot agents put their VMs on that project's private network, so
   * the machines of different jobs on one node reach each other (docs/slurm.md).
   */
  networkId?: string;
  env?: Record<string, string | undefined>;
}

export class SlurmHost implements Host {
  readonly name: string;
  /** The host copies closures itself once a job has a node (closures "copy"): none beforehand. */
  readonly closures: ClosureTransport = "shared";
  readonly capabilities: HostCapabilities = {
    exec: true,
    logs: true,
    build: false,
    ssh: false,
    windows: false,
  };
  private readonly entry: ResolvedSlurmHost;
  private readonly stateDir: string;
  private readonly agentServe: string[];
  private readonly networkId: string | undefined;
  private readonly env: Record<string, string | undefined>;
  private readonly agents = new Map<string, ApiHost>();
  /** The last answer about this user's jobs, shared while fresh ({@link JOB_POLL_MS}). */
  private jobsQuery: { at: number; answer: Promise<Map<string, SlurmJob>> } | undefined;

  /**
   * @example
   * const cluster = new SlurmHost({ host: hosts.get("cluster"), stateDir: ".nohead", agentServe: ["nohead", "agent", "serve"] });
   * await cluster.start(machines);
   */
  constructor({ host, stateDir, agentServe, networkId, env = process.env }: SlurmHostOptions) {
    this.name = host.name;
    this.entry = host;
    this.stateDir = stateDir;
    this.agentServe = agentServe;
    this.networkId = networkId;
    this.env = env;
  }

  private madeDir: string | undefined;

  /** The host's pilot-job directory, made (0700) once, on first use. */
  private get dir(): string {
    this.madeDir ??= pilotDir(this.stateDir, this.name);
    return this.madeDir;
  }

  /** Read-modify-write of the records, synchronous: no other update of this process interleaves. */
  private update(change: (jobs: PilotRecord[]) => PilotRecord[]): void {
    writePilotRecords(this.dir, change(readPilotRecords(this.dir)));
  }

  private slurm(argv: string[]): Promise<string> {
    return runSlurmCommand(this.name, argv, { env: this.env });
  }

  /** This user's jobs, as Slurm said at most {@link JOB_POLL_MS} ago (cleared by sbatch and scancel). */
  private jobs(): Promise<Map<string, SlurmJob>> {
    const known = this.jobsQuery;
    if (known && performance.now() - known.at < JOB_POLL_MS) return known.answer;
    const answer = listOwnJobs(this.name, { env: this.env });
    const query = { at: performance.now(), answer };
    this.jobsQuery = query;
    answer.catch(() => {
      if (this.jobsQuery === query) this.jobsQuery = undefined;
    });
    return answer;
  }

  /** The agent of a job that reported one. */
  private agentOf(record: PilotRecord): ApiHost {
    if (!record.url) throw new Error(`Slurm job ${record.jobId} has no agent yet`);
    const known = this.agents.get(record.jobId);
    if (known) return known;
    const agent = new ApiHost({
      name: this.name,
      url: record.url,
      token: readTokenFile(join(record.dir, "token")),
      closures: "shared",
    });
    this.agents.set(record.jobId, agent);
    return agent;
  }

  /** The agent holding machine `name` (by the records; Slurm is not asked). */
  private agentHolding(name: string): ApiHost {
    const record = readPilotRecords(this.dir).find((r) => r.machines.includes(name) && r.url);
    if (!record) {
      throw new NoheadError("conflict", `is not running on host ${this.name} (no Slurm job holds it)`, {
        machine: name,
        hint: `start it with \`nohead run ${name}\``,
      });
    }
    return this.agentOf(record);
  }

  async start(machines: ManifestMachine[], options: HostStartOptions = {}): Promise<StartResult[]> {
    const jobs = await this.jobs();
    this.forgetEnded(jobs);
    // Jobs that live on hold their machines: a running job with its agent, and also one still
    // pending or whose agent an interrupted command never read. Those machines start there again,
    // and so does a new machine that depends on one of them.
    const alive = readPilotRecords(this.dir).filter((r) => jobAlive(jobs.get(r.jobId) ?? ENDED));
    const assigned = new Map<string, PilotRecord>();
    for (const m of machines) {
      const record = alive.find((r) => r.machines.includes(m.name));
      if (record) assigned.set(m.name, record);
    }
    for (let changed = true; changed; ) {
      changed = false;
      for (const m of machines) {
        const record = assigned.get(m.name) ?? m.dependsOn.map((d) => assigned.get(d)).find(Boolean);
        if (record && !assigned.has(m.name)) {
          assigned.set(m.name, record);
          changed = true;
        }
      }
    }
    const fresh = machines.filter((m) => !assigned.has(m.name));
    // Machines starting in a new job are no longer in the records of the ended ones.
    const moving = new Set(fresh.map((m) => m.name));
    const aliveIds = new Set(alive.map((r) => r.jobId));
    this.update((all) =>
      all.map((r) => {
        if (!aliveIds.has(r.jobId)) return { ...r, machines: r.machines.filter((n) => !moving.has(n)) };
        const joining = machines.filter((m) => assigned.get(m.name)?.jobId === r.jobId).map((m) => m.name);
        return { ...r, machines: [...new Set([...r.machines, ...joining])] };
      }),
    );
    this.forgetEnded(jobs);
    await this.cancelEmpty(jobs);
    // One job failing (ended early, never started, agent gone, copy failed) fails its machines,
    // not the others'.
    const failing = (mine: ManifestMachine[]) => (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      return mine.map((m) => failedBeforeStart(m.name, message));
    };
    const inLiveJobs = alive
      .map((record) => ({ record, mine: machines.filter((m) => assigned.get(m.name) === record) }))
      .filter(({ mine }) => mine.length > 0)
      .map(({ record, mine }) => this.startInJob(record, mine, options, false).catch(failing(mine)));
    const inNewJobs = packMachines(fresh, { maxCoresPerJob: this.entry.slurm.maxCoresPerJob }).map((shape) =>
      this.submit(shape)
        .then((record) => this.startInJob(record, shape.machines, options, true))
        .catch(failing(shape.machines)),
    );
    return (await Promise.all([...inLiveJobs, ...inNewJobs])).flat();
  }

  /** Forgets the records that hold no machine and whose job Slurm ended, with their directories. */
  private forgetEnded(jobs: Map<string, SlurmJob>): void {
    for (const record of readPilotRecords(this.dir)) {
      if (record.machines.length === 0 && !jobAlive(jobs.get(record.jobId) ?? ENDED)) this.forget(record);
    }
  }

  /**
   * Cancels the live jobs that hold no machine (left by a failed or interrupted start, or whose
   * machines moved): nothing of this project runs there, or will.
   */
  private async cancelEmpty(jobs: Map<string, SlurmJob>): Promise<void> {
    const empty = readPilotRecords(this.dir).filter(
      (r) => r.machines.length === 0 && jobAlive(jobs.get(r.jobId) ?? ENDED),
    );
    await Promise.all(empty.map((r) => this.cancel(r.jobId).catch(() => undefined)));
  }

  /** Forgets an ended job: its record, and its directory (VM disks and state included). */
  private forget(record: PilotRecord): void {
    removeJobDir(this.dir, record);
    this.update((all) => all.filter((r) => r.jobId !== record.jobId));
    this.agents.delete(record.jobId);
  }

  /**
   * Starts `machines` in the job of `record`: waits for its agent when it has not reported yet,
   * copies the closures to its node (closures "copy"), then asks its agent. A job this command
   * waited for and could not use is cancelled; so is a new job (`own`) none of whose machines
   * started: it would hold its allocation for nothing.
   */
  private async startInJob(
    record: PilotRecord,
    machines: ManifestMachine[],
    options: HostStartOptions,
    own: boolean,
  ): Promise<StartResult[]> {
    const waited = record.url === null;
    try {
      const ready = waited ? await this.waitForAgent(record) : record;
      if (this.entry.closures === "copy") {
        await copyClosure(
          {
            name: this.name,
            closures: "nix-copy",
            sshTarget: `${this.entry.sshUser}@${await this.nodeAddress(ready.node as string)}`, // set once the agent reported
            sshOptions: this.entry.sshOptions,
          },
          closureRoots(machines),
        );
      }
      const results = await this.agentOf(ready).start(machines, options);
      if (own && !results.some((r) => r.ok)) await this.cancel(record.jobId);
      return results;
    } catch (error) {
      if (own || waited) await this.cancel(record.jobId).catch(() => undefined);
      throw error;
    }
  }

  /** `sbatch` of the pilot job for `shape`, recorded at once (so a stop finds it whatever happens). */
  private async submit(shape: PilotJobShape): Promise<PilotRecord> {
    const dir = join(this.dir, randomBytes(4).toString("hex"));
    mkdirSync(dir, { mode: 0o700 });
    const tokenFile = join(dir, "token");
    createTokenFile(tokenFile);
    const script = join(this.dir, "pilot.sh");
    if (!existsSync(script) || readFileSync(script, "utf8") !== PILOT_SCRIPT)
      writeFileSync(script, PILOT_SCRIPT, { mode: 0o700 });
    const { partition, account, timeLimit, extraArgs, agentAddress } = this.entry.slurm;
    const argv = [
      "sbatch",
      "--parsable",
      `--job-name=nohead-${this.name}`,
      `--chdir=${dir}`,
      // Relative to --chdir: a `%` in the project's path is not taken for a pattern.
      "--output=slurm-%j.out",
      "--ntasks=1",
      `--cpus-per-task=${shape.cores}`,
      `--mem=${shape.memoryMiB}M`,
      `--time=${timeLimit}`,
      ...endWarning(timeLimit),
      ...(partition ? [`--partition=${partition}`] : []),
      ...(account ? [`--account=${account}`] : []),
      ...extraArgs,
      script,
      ...this.agentServe,
      ...(agentAddress === "loopback"
        ? ["--listen", "127.0.0.1:0"]
        : ["--listen", "0.0.0.0:0", "--on-slurm-node", "--insecure"]),
      "--token-file",
      tokenFile,
      "--state-dir",
      join(dir, "state"),
      "--ready-file",
      join(dir, "agent.json"),
      "--stop-vms-on-exit",
      ...(this.networkId ? ["--network-id", this.networkId] : []),
    ];
    // sbatch hands its whole environment to the job: not this login's runtime dir, which the node
    // may not have (the agent then keeps its sockets under /tmp/nohead-<uid>, checked private).
    const { XDG_RUNTIME_DIR: _, ...jobEnv } = this.env;
    let jobId: string;
    try {
      jobId = (await runSlurmCommand(this.name, argv, { env: jobEnv })).trim().split(";")[0] ?? "";
      if (!/^\d+$/.test(jobId)) {
        throw new NoheadError("failed", `host ${this.name}: sbatch answered "${jobId}", not a job id`);
      }
    } catch (error) {
      // No job: its directory (and the token made for it) would serve nothing.
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
    this.jobsQuery = undefined;
    const record: PilotRecord = {
      jobId,
      dir,
      node: null,
      url: null,
      machines: shape.machines.map((m) => m.name),
      submittedAt: new Date().toISOString(),
    };
    this.update((all) => [...all, record]);
    return record;
  }

  /** Waits for the job's agent to report where it listens; fails when the job ends or the deadline passes. */
  private async waitForAgent(record: PilotRecord): Promise<PilotRecord> {
    const started = Date.now();
    const timeoutMs = this.entry.slurm.readyTimeoutMinutes * 60_000;
    let job: SlurmJob | undefined;
    for (let asked = 0; ; asked += 1) {
      const ready = readAgentReady(record.dir);
      if (ready) {
        const url = await this.reachableUrl(ready.url, ready.node);
        const done = { ...record, node: ready.node, url };
        this.update((all) =>
          all.map((r) => (r.jobId === record.jobId ? { ...r, node: ready.node, url } : r)),
        );
        return done;
      }
      // Every few rounds (the answer is shared with every other waiter): does the job still live?
      if (asked % JOB_POLL_ROUNDS === 0) {
        job = (await this.jobs()).get(record.jobId);
        if (!job || !jobAlive(job)) {
          const output = join(record.dir, `slurm-${record.jobId}.out`);
          const tail = existsSync(output)
            ? readFileSync(output, "utf8").trim().split("\n").slice(-5).join("\n")
            : "";
          throw new NoheadError(
            "failed",
            `host ${this.name}: ${job ? jobEnd(job) : `Slurm job ${record.jobId} is gone`} before its agent reported${tail ? `:\n${tail}` : ""}`,
            { hint: `its output is ${output} (until the next command on this host)` },
          );
        }
      }
      if (Date.now() - started > timeoutMs) {
        throw new NoheadError(
          "failed",
          `host ${this.name}: Slurm job ${record.jobId} did not start its agent within ${Math.round(timeoutMs / 1000)} s (${job?.state ?? "state unknown"}, reason: ${job?.reason ?? "unknown"})`,
          {
            hint: 'the partition may be busy (`squeue`); the job was cancelled: run again later, or raise "readyTimeoutMinutes" in the hosts file',
          },
        );
      }
      await Bun.sleep(WAIT_ROUND_MS);
    }
  }

  /**
   * The URL this computer reaches the agent at: as it says on loopback; on the node's network,
   * its port on the node's address (an IP address: the agent accepts those as Host).
   */
  private async reachableUrl(reported: string, node: string): Promise<string> {
    if (this.entry.slurm.agentAddress === "loopback") return reported;
    const url = new URL(reported);
    const address = await this.nodeAddress(node);
    url.hostname = address.includes(":") ? `[${address}]` : address;
    return url.toString().replace(/\/$/, "");
  }

  /** The IPv4 address of `node`, where its jobs' agents listen. */
  private nodeAddress(node: string): Promise<string> {
    return slurmNodeAddress(this.name, node, { env: this.env });
  }

  /**
   * Ends a job (scancel: Slurm signals all its processes, QEMU included) and empties its record,
   * kept until Slurm has ended the job: its agent may still write in its directory. With `wait`,
   * resolves once Slurm has ended it, bounded by {@link JOB_END_TIMEOUT_MS}, and forgets it with
   * its directory; without, the next command on this host does.
   */
  private async cancel(jobId: string, { wait = false } = {}): Promise<void> {
    try {
      await this.slurm(["scancel", jobId]);
    } catch (error) {
      // Ended meanwhile (or long gone): what was wanted.
      if (!/already completing or completed|invalid job id/i.test(String(error))) throw error;
    }
    this.jobsQuery = undefined;
    this.agents.delete(jobId);
    this.update((all) => all.map((r) => (r.jobId === jobId ? { ...r, machines: [], url: null } : r)));
    const deadline = Date.now() + JOB_END_TIMEOUT_MS;
    while (wait) {
      const job = (await this.jobs()).get(jobId);
      if (!job || !(jobAlive(job) || job.state === "COMPLETING")) {
        const record = readPilotRecords(this.dir).find((r) => r.jobId === jobId);
        if (record) this.forget(record);
        return;
      }
      if (Date.now() > deadline) {
        throw new NoheadError(
          "failed",
          `host ${this.name}: Slurm job ${jobId} is still ${job.state} ${Math.round(JOB_END_TIMEOUT_MS / 1000)} s after scancel`,
          { hint: "see `scontrol show job` and the node's slurmd log" },
        );
      }
      await Bun.sleep(JOB_POLL_MS / 2);
    }
  }

  /**
   * Stops `names` (all of this host's machines without) on their jobs' agents. A job is ended when
   * this command stops every machine it holds and none of its VMs runs any more; jobs holding none
   * of `names` are left alone, whatever their state.
   */
  async stop(names?: string[], options: { powerdownMs?: number } = {}): Promise<StopReport[]> {
    const jobs = await this.jobs();
    this.forgetEnded(jobs);
    const records = readPilotRecords(this.dir);
    const targets = names ?? records.flatMap((r) => r.machines);
    const reports = await Promise.all(
      records.map(async (record): Promise<StopReport[]> => {
        const mine = targets.filter((n) => record.machines.includes(n));
        if (mine.length === 0 && record.machines.length > 0) return [];
        const all = record.machines.every((n) => mine.includes(n));
        const job = jobs.get(record.jobId);
        if (!job || !jobAlive(job)) {
          // Slurm ended it; stopping its machines forgets them, and the job with the last of them
          // (its directory too). The others keep showing why their job ended.
          this.update((recorded) =>
            recorded.map((r) =>
              r.jobId === record.jobId ? { ...r, machines: r.machines.filter((n) => !mine.includes(n)) } : r,
            ),
          );
          this.forgetEnded(jobs);
          return mine.map(notRunningReport);
        }
        if (!record.url) {
          // No agent yet (pending, or another command still waits for it): nothing of it runs.
          // Ended only when every machine it holds is being stopped.
          if (all) await this.cancel(record.jobId, { wait: true });
          return mine.map(notRunningReport);
        }
        const agent = this.agentOf(record);
        const started = performance.now();
        try {
          const stopped = mine.length > 0 ? await agent.stop(mine, options) : [];
          const stillRunning = (await agent.status()).some((s) => s.condition === "running");
          if (all && !stillRunning) await this.cancel(record.jobId, { wait: true });
          return stopped;
        } catch {
          // Its agent does not answer while Slurm runs the job: ending the job ends its VMs
          // (Slurm signals every process of the job, QEMU included).
          await this.cancel(record.jobId, { wait: true });
          const durationMs = performance.now() - started;
          return mine.map((machine) => ({
            machine,
            ok: true,
            method: "sigterm" as const,
            durationMs,
            error: null,
          }));
        }
      }),
    );
    const held = new Set(records.flatMap((r) => r.machines));
    return [...reports.flat(), ...targets.filter((n) => !held.has(n)).map(notRunningReport)];
  }

  async status(names?: string[]): Promise<PlacedVmStatus[]> {
    const jobs = await this.jobs();
    const records = readPilotRecords(this.dir);
    const wanted = names ?? records.flatMap((r) => r.machines);
    const statuses: PlacedVmStatus[] = [];
    for (const record of records) {
      const mine = wanted.filter((n) => record.machines.includes(n));
      if (mine.length === 0) continue;
      const job = jobs.get(record.jobId);
      const slurmJob = {
        jobId: record.jobId,
        node: job?.node ?? record.node,
        state: job?.state ?? "GONE",
      };
      const stopped = (error: string): PlacedVmStatus[] =>
        mine.map((n) => ({
          ...notStartedStatus(n, error),
          condition: "stopped",
          stoppedBy: "slurm",
          slurmJob,
        }));
      if (!job) {
        statuses.push(
          ...stopped(
            `Slurm job ${record.jobId} is gone (ended more than MinJobAge ago); its output is ${join(record.dir, `slurm-${record.jobId}.out`)}`,
          ),
        );
      } else if (!jobAlive(job)) {
        statuses.push(...stopped(jobEnd(job)));
      } else if (!record.url) {
        statuses.push(
          ...mine.map((n) => ({
            ...notStartedStatus(n, `Slurm job ${record.jobId} is ${job.state} (reason: ${job.reason})`),
            slurmJob,
          })),
        );
      } else {
        try {
          const all = await this.agentOf(record).status();
          for (const n of mine) {
            const s = all.find((v) => v.name === n);
            statuses.push({ ...(s ?? notStartedStatus(n)), slurmJob });
          }
        } catch (error) {
          statuses.push(
            ...mine.map((n) => ({
              ...notStartedStatus(
                n,
                `the agent of Slurm job ${record.jobId} did not answer: ${(error as Error).message}`,
              ),
              condition: "failed" as const,
              slurmJob,
            })),
          );
        }
      }
    }
    const held = new Set(records.flatMap((r) => r.machines));
    for (const n of wanted) if (!held.has(n)) statuses.push({ ...notStartedStatus(n), condition: "stopped" });
    return statuses;
  }

  exec(name: string, argv: string[], options?: { timeoutMs?: number }): Promise<ExecResult> {
    return this.agentHolding(name).exec(name, argv, options);
  }

  execStreaming(name: string, argv: string[], options: StreamingExecOptions): Promise<StreamedExecEnd> {
    return this.agentHolding(name).execStreaming(name, argv, options);
  }

  logs(name: string, options?: HostLogOptions): AsyncIterable<string> {
    return this.agentHolding(name).logs(name, options);
  }

  /** The events of every job's agent, merged as they come. */
  async *events({ signal }: { signal?: AbortSignal } = {}): AsyncIterable<VmEvent> {
    const agents = readPilotRecords(this.dir)
      .filter((r) => r.url)
      .map((r) => this.agentOf(r));
    const queue: VmEvent[] = [];
    let wake: (() => void) | undefined;
    let open = agents.length;
    for (const agent of agents) {
      void (async () => {
        try {
          for await (const event of agent.events(signal ? { signal } : {})) {
            queue.push(event);
            wake?.();
          }
        } catch {
          // One job's agent gone (its job ended) ends its stream, not the others'.
        } finally {
          open -= 1;
          wake?.();
        }
      })();
    }
    while (open > 0 || queue.length > 0) {
      const next = queue.shift();
      if (next) yield next;
      else await new Promise<void>((resolve) => (wake = resolve));
    }
  }

  /**
   * Destroys `name` on its job's agent; in a job Slurm ended there is nothing left to stop, and
   * its state goes with the job's directory once no machine is left in it.
   */
  async destroy(name: string): Promise<StopReport> {
    const record = readPilotRecords(this.dir).find((r) => r.machines.includes(name));
    const gone = notRunningReport(name);
    if (!record) return gone;
    const job = (await this.jobs()).get(record.jobId);
    const alive = job !== undefined && jobAlive(job);
    const report = alive && record.url ? await this.agentOf(record).destroy(name) : gone;
    // Read afresh (not `record`): destroys of the same job's machines run side by side.
    let emptied = false;
    this.update((all) =>
      all.map((r) => {
        if (r.jobId !== record.jobId) return r;
        const left = r.machines.filter((n) => n !== name);
        emptied = left.length === 0;
        return { ...r, machines: left };
      }),
    );
    if (emptied && alive) await this.cancel(record.jobId, { wait: true });
    else if (emptied) this.forget(record);
    return report;
  }
}
