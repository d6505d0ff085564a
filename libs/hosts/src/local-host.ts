/**
 * This computer as a Host: a Fleet (the project's state in `.nohead/`), used directly. Machines
 * it is given that the fleet's build does not have are added to it, so a LocalHost runs any
 * manifest machine like an agent does.
 */
import { join } from "node:path";
import { followConsole } from "@nohead/supervisor";
import { buildFlake } from "./api/flake-build.ts";
import type { BuildEvent } from "@nohead/nixgen";
import type { ExecResult } from "@nohead/qemu";
import type { Manifest, ManifestMachine } from "@nohead/schema";
import { Fleet, type StartResult, type StopReport, type VmStatus } from "@nohead/supervisor";
import type { Host, HostBuildResult, HostCapabilities, HostLogOptions, HostStartOptions } from "./host.ts";

export class LocalHost implements Host {
  readonly capabilities: HostCapabilities = { exec: true, logs: true, build: true, ssh: true };
  readonly closures = "local" as const;
  private fleet: Fleet;

  /**
   * @example
   * const host = new LocalHost(Fleet.open({ cwd: process.cwd() }));
   * await host.start(manifest.machines);
   */
  constructor(
    fleet: Fleet,
    readonly name = "local",
  ) {
    this.fleet = fleet;
  }

  async start(machines: ManifestMachine[], options: HostStartOptions = {}): Promise<StartResult[]> {
    const { display = "none", fresh = false, qemuArgs = [], authorizedKeys = [], onProgress } = options;
    this.fleet = this.withMachines(machines);
    return this.fleet.start(
      machines.map((m) => m.name),
      { display, fresh, extraArgs: qemuArgs, authorizedKeys, ...(onProgress ? { onProgress } : {}) },
    );
  }

  async stop(names?: string[]): Promise<StopReport[]> {
    return this.fleet.stop(names ? this.fleet.resolveNames(names) : undefined);
  }

  async status(names?: string[]): Promise<VmStatus[]> {
    return this.fleet.status(names ? this.fleet.resolveNames(names) : undefined);
  }

  async exec(
    name: string,
    argv: string[],
    { timeoutMs = 60_000 }: { timeoutMs?: number } = {},
  ): Promise<ExecResult> {
    const [vm] = this.fleet.resolveNames([name]) as [string];
    return this.fleet.exec(vm, argv, { timeoutMs });
  }

  async *logs(
    name: string,
    { follow = false, lines = 100, signal }: HostLogOptions = {},
  ): AsyncIterable<string> {
    const [vm] = this.fleet.resolveNames([name]) as [string];
    yield* followConsole(this.fleet.consoleLog(vm), { lines, follow, ...(signal ? { signal } : {}) });
  }

  async destroy(name: string): Promise<StopReport> {
    const [vm] = this.fleet.resolveNames([name]) as [string];
    return this.fleet.destroy(vm);
  }

  async build(
    flake: string,
    onEvent: (event: BuildEvent) => void = () => undefined,
  ): Promise<HostBuildResult> {
    const { outcome, manifest } = await buildFlake(
      flake,
      join(this.fleet.project.stateDir, "builds"),
      onEvent,
    );
    return { outcome, machines: manifest?.machines ?? [] };
  }

  /** The fleet with `machines` added over (or instead of) its build's. */
  private withMachines(machines: ManifestMachine[]): Fleet {
    const base: Manifest = this.fleet.hasBuild()
      ? this.fleet.manifest
      : { schemaVersion: 1, network: { subnet: "unknown" }, machines: [], images: [] };
    const given = new Set(machines.map((m) => m.name));
    const missing = machines.some(
      (m) => !base.machines.some((b) => b.name === m.name && b.runner === m.runner),
    );
    if (!missing) return this.fleet;
    return new Fleet(this.fleet.project, this.fleet.resultPath, {
      ...base,
      machines: [...base.machines.filter((m) => !given.has(m.name)), ...machines],
    });
  }
}
