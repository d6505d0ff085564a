/**
 * A Slurm cluster as a Host: the machines placed on it run in pilot jobs — `sbatch` of
 * `nohead agent serve`, sized to the machines packed into each (pack-machines.ts) — and start on
 * each job's agent exactly as on any agent (ApiHost). Status adds each VM's job and node, and a VM
 * whose job Slurm ended shows Slurm's reason; stopping ends the jobs that hold no running VM.
 * nohead never schedules: Slurm decides where and when each job runs (docs/slurm.md).
 */
import { randomBytes } from "node:crypto";
import { lookup } from "node:dns/promises";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";
import type { ExecResult } from "@nohead/qemu";
import { type ManifestMachine, NoheadError, type VmEvent } from "@nohead/schema";
import { failedBeforeStart, type StartResult, type StopReport } from "@nohead/supervisor";
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
  writePilotRecords,
} from "./pilot-records.ts";
import { runSlurmCommand } from "./slurm-command.ts";
import { jobAlive, jobEnd, listJobs, type SlurmJob } from "./slurm-jobs.ts";

/** The pilot job's script: it runs its arguments, so no user value ever meets a shell. */
const PILOT_SCRIPT =
  '#!/bin/sh\n# A nohead pilot job: runs `nohead agent serve …` (docs/slurm.md).\nexec "$@"\n';
/** How long a cancelled job may take to end: Slurm's default KillWait (30 s) and some. */
const JOB_END_TIMEOUT_MS = 60_000;
/** A job Slurm no longer knows. */
const ENDED: SlurmJob = { jobId: "", state: "GONE", reason: "None", node: null };
/** How often the CLI asks Slurm about a job it waits for (reading its file is cheap, Slurm less so). */
const JOB_POLL_MS = 2000;

export interface SlurmHostOptions {
  host: ResolvedSlurmHost;
  /** The project's state dir (`.nohead`): the jobs' records and directories live under it. */
  stateDir: string;
  /** The argv that runs `nohead agent serve` with this same program. */
  agentServe: string[];
  /** How long a submitted job may take to report its agent (pending included). Default 10 min. */
  readyTimeoutMs?: number;
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
  private readonly readyTimeoutMs: number;
  private readonly env: Record<string, string | undefined>;
  private readonly agents = new Map<string, ApiHost>();

  /**
   * @example
   * const cluster = new SlurmHost({ host: hosts.get("cluster"), stateDir: ".nohead", agentServe: ["nohead", "agent", "serve"] });
   * await cluster.start(machines);
   */
  constructor({ host, stateDir, agentServe, readyTimeoutMs = 600_000, env = process.env }: SlurmHostOptions) {
    this.name = host.name;
    this.entry = host;
    this.stateDir = stateDir;
    this.agentServe = agentServe;
    this.readyTimeoutMs = readyTimeoutMs;
    this.env = env;
  }

  private get dir(): string {
    return pilotDir(this.stateDir, this.name);
  }

  /** Read-modify-write of the records, synchronous: no other update of this process interleaves. */
  private update(change: (jobs: PilotRecord[]) => PilotRecord[]): void {
    writePilotRecords(this.dir, change(readPilotRecords(this.dir)));
  }

  private slurm(argv: string[]): Promise<string> {
    return runSlurmCommand(this.name, argv, { env: this.env });
  }

  private jobs(): Promise<Map<string, SlurmJob>> {
    return listJobs(this.name, { env: this.env });
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
    const records = readPilotRecords(this.dir);
    const running = records.filter((r) => r.url && jobs.get(r.jobId)?.state === "RUNNING");
    // A machine whose job runs starts there again; so does one that depends on a machine there.
    const assigned = new Map<string, PilotRecord>();
    for (const m of machines) {
      const record = running.find((r) => r.machines.includes(m.name));
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
    const runningIds = new Set(running.map((r) => r.jobId));
    this.update((all) => {
      const kept = all.map((r) => {
        if (!runningIds.has(r.jobId)) return { ...r, machines: r.machines.filter((n) => !moving.has(n)) };
        const joining = machines.filter((m) => assigned.get(m.name)?.jobId === r.jobId).map((m) => m.name);
        return { ...r, machines: [...new Set([...r.machines, ...joining])] };
      });
      // An ended job that held only these machines is forgotten with its directory; a pending
      // one waits for a stop.
      const ended = (r: PilotRecord) => r.machines.length === 0 && !jobAlive(jobs.get(r.jobId) ?? ENDED);
      for (const r of kept.filter(ended)) rmSync(r.dir, { recursive: true, force: true });
      return kept.filter((r) => !ended(r));
    });
    const inRunningJobs = running
      .map((record) => ({ record, mine: machines.filter((m) => assigned.get(m.name) === record) }))
      .filter(({ mine }) => mine.length > 0)
      .map(({ record, mine }) => this.agentOf(record).start(mine, options));
    // One job failing (ended early, never started, copy failed) fails its machines, not the others'.
    const inNewJobs = packMachines(fresh, { maxCoresPerJob: this.entry.slurm.maxCoresPerJob }).map((shape) =>
      this.startInNewJob(shape, options).catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        return shape.machines.map((m) => failedBeforeStart(m.name, message));
      }),
    );
    return (await Promise.all([...inRunningJobs, ...inNewJobs])).flat();
  }

  /** Submits a pilot job for `shape`, waits for its agent, and starts the machines on it. */
  private async startInNewJob(shape: PilotJobShape, options: HostStartOptions): Promise<StartResult[]> {
    const record = await this.submit(shape);
    try {
      const ready = await this.waitForAgent(record);
      if (this.entry.closures === "copy") {
        await copyClosure(
          {
            name: this.name,
            closures: "nix-copy",
            sshTarget: `${this.entry.sshUser}@${await this.nodeAddress(ready.node as string)}`, // set once the agent reported
            sshOptions: this.entry.sshOptions,
          },
          closureRoots(shape.machines),
        );
      }
      const results = await this.agentOf(ready).start(shape.machines, options);
      // A job none of whose machines started holds nothing: give its allocation back.
      if (!results.some((r) => r.ok)) await this.cancel(record.jobId);
      return results;
    } catch (error) {
      await this.cancel(record.jobId).catch(() => undefined);
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
      ...(partition ? [`--partition=${partition}`] : []),
      ...(account ? [`--account=${account}`] : []),
      ...extraArgs,
      script,
      ...this.agentServe,
      ...(agentAddress === "loopback"
        ? ["--listen", "127.0.0.1:0"]
        : ["--listen", "0.0.0.0:0", "--insecure"]),
      "--token-file",
      tokenFile,
      "--state-dir",
      join(dir, "state"),
      "--ready-file",
      join(dir, "agent.json"),
      "--stop-vms-on-exit",
    ];
    let jobId: string;
    try {
      jobId = (await this.slurm(argv)).trim().split(";")[0] ?? "";
      if (!/^\d+$/.test(jobId)) {
        throw new NoheadError("failed", `host ${this.name}: sbatch answered "${jobId}", not a job id`);
      }
    } catch (error) {
      // No job: its directory (and the token made for it) would serve nothing.
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
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
    let lastAsked = 0;
    let job: SlurmJob | undefined;
    for (;;) {
      const ready = readAgentReady(record.dir);
      if (ready) {
        const url = await this.reachableUrl(ready.url, ready.node);
        const done = { ...record, node: job?.node ?? ready.node, url };
        this.update((all) => all.map((r) => (r.jobId === record.jobId ? done : r)));
        return done;
      }
      if (Date.now() - lastAsked >= JOB_POLL_MS) {
        lastAsked = Date.now();
        job = (await this.jobs()).get(record.jobId);
        if (!job || !jobAlive(job)) {
          const output = join(record.dir, `slurm-${record.jobId}.out`);
          const tail = existsSync(output)
            ? readFileSync(output, "utf8").trim().split("\n").slice(-5).join("\n")
            : "";
          throw new NoheadError(
            "failed",
            `host ${this.name}: ${job ? jobEnd(job) : `Slurm job ${record.jobId} is gone`} before its agent reported${tail ? `:\n${tail}` : ""}`,
            { hint: `its output is ${output}` },
          );
        }
      }
      if (Date.now() - started > this.readyTimeoutMs) {
        throw new NoheadError(
          "failed",
          `host ${this.name}: Slurm job ${record.jobId} did not start its agent within ${Math.round(this.readyTimeoutMs / 1000)} s (${job?.state ?? "state unknown"}, reason: ${job?.reason ?? "unknown"})`,
          { hint: "the partition may be busy (`squeue`); the job was cancelled, run again later" },
        );
      }
      await Bun.sleep(100);
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

  /** The IP address of `node`: its NodeAddr in Slurm, resolved. */
  private async nodeAddress(node: string): Promise<string> {
    const text = await this.slurm(["scontrol", "-o", "show", "node", node]);
    const addr = /(?:^|\s)NodeAddr=(\S+)/.exec(text)?.[1] ?? node;
    return isIP(addr) ? addr : (await lookup(addr)).address;
  }

  /**
   * Ends a job (scancel) and forgets it; with `wait`, resolves once Slurm has ended it (its agent
   * stops its VMs on the SIGTERM), bounded by {@link JOB_END_TIMEOUT_MS}.
   */
  private async cancel(jobId: string, { wait = false } = {}): Promise<void> {
    await this.slurm(["scancel", jobId]);
    const dir = readPilotRecords(this.dir).find((r) => r.jobId === jobId)?.dir;
    this.update((all) => all.filter((r) => r.jobId !== jobId));
    this.agents.delete(jobId);
    const deadline = Date.now() + JOB_END_TIMEOUT_MS;
    while (wait) {
      const job = (await this.jobs()).get(jobId);
      if (!job || !(jobAlive(job) || job.state === "COMPLETING")) {
        // Ended by us, cleanly: its directory (VM disks and state included) has served.
        if (dir) rmSync(dir, { recursive: true, force: true });
        return;
      }
      if (Date.now() > deadline) {
        throw new NoheadError(
          "failed",
          `host ${this.name}: Slurm job ${jobId} is still ${job.state} ${Math.round(JOB_END_TIMEOUT_MS / 1000)} s after scancel`,
          { hint: "see `scontrol show job` and the node's slurmd log" },
        );
      }
      await Bun.sleep(250);
    }
  }

  async stop(names?: string[], options: { powerdownMs?: number } = {}): Promise<StopReport[]> {
    const jobs = await this.jobs();
    const records = readPilotRecords(this.dir);
    const targets = names ?? records.flatMap((r) => r.machines);
    const notRunning = (machine: string): StopReport => ({
      machine,
      ok: true,
      method: "already-stopped",
      durationMs: 0,
      error: null,
    });
    const reports = await Promise.all(
      records.map(async (record): Promise<StopReport[]> => {
        const mine = targets.filter((n) => record.machines.includes(n));
        const job = jobs.get(record.jobId);
        if (!job || !jobAlive(job)) {
          // Slurm ended it; stopping its machines forgets them, and the job with the last of them
          // (its directory too). The others keep showing why their job ended.
          let emptied = false;
          this.update((all) =>
            all.flatMap((r) => {
              if (r.jobId !== record.jobId) return [r];
              const left = r.machines.filter((n) => !mine.includes(n));
              emptied = left.length === 0;
              return emptied ? [] : [{ ...r, machines: left }];
            }),
          );
          if (emptied) rmSync(record.dir, { recursive: true, force: true });
          return mine.map(notRunning);
        }
        if (!record.url) {
          await this.cancel(record.jobId, { wait: true });
          return mine.map(notRunning);
        }
        const agent = this.agentOf(record);
        const started = performance.now();
        try {
          const stopped = mine.length > 0 ? await agent.stop(mine, options) : [];
          const stillRunning = (await agent.status()).some((s) => s.condition === "running");
          if (!stillRunning) await this.cancel(record.jobId, { wait: true });
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
    return [...reports.flat(), ...targets.filter((n) => !held.has(n)).map(notRunning)];
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
    const gone: StopReport = {
      machine: name,
      ok: true,
      method: "already-stopped",
      durationMs: 0,
      error: null,
    };
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
    else if (emptied) {
      this.update((all) => all.filter((r) => r.jobId !== record.jobId));
      rmSync(record.dir, { recursive: true, force: true });
    }
    return report;
  }
}
