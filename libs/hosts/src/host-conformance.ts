/**
 * The behaviour every Host must have, as one bun test suite run against each implementation
 * (ApiHost on the supervisor's unix socket and on a real agent over TCP), like hono runs one router
 * test file against every router: start machines and see them ready, the same start again leaves
 * them alone, status, exec, logs (following too), not-found errors, stop, the event stream's
 * order, destroy. Real VMs boot, so each run starts few machines.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import type { ExecResult } from "@nohead/qemu";
import { type ManifestMachine, NoheadError, type VmEvent } from "@nohead/schema";
import type { StartProgress, StartResult, VmStatus } from "@nohead/supervisor";
import type { Host } from "./host.ts";
import { rejectionOf } from "@nohead/schema/testing";

export interface ConformanceSetup {
  host: Host;
  /** One or two machines the host can start (not running yet). */
  machines: ManifestMachine[];
  /** The directory holding machine `name`'s state on the host (it must be gone after destroy). */
  vmStateDir: (name: string) => string;
  /** Frees what the setup made (the suite stops the machines itself first). */
  cleanup: () => Promise<void>;
}

/** Budget of the steps that boot VMs (or build the fixture): generous, as CI machines are slow. */
const SLOW_MS = 240_000;

const STOP_METHODS = ["powerdown", "guest-shutdown", "quit", "sigterm", "sigkill"];

/** The first item of `iterable` satisfying `predicate`, within `timeoutMs`. */
async function firstMatching(
  iterable: AsyncIterable<string>,
  predicate: (line: string) => boolean,
  what: string,
  timeoutMs: number,
): Promise<string> {
  const iterator = iterable[Symbol.asyncIterator]();
  const deadline = Bun.sleep(timeoutMs).then(() => {
    throw new Error(`no console line ${what} within ${timeoutMs} ms`);
  });
  for (;;) {
    const next = await Promise.race([iterator.next(), deadline]);
    if (next.done) throw new Error(`the log stream ended before a line ${what}`);
    if (predicate(next.value)) return next.value;
  }
}

/**
 * Registers the conformance tests for the host `makeHost` sets up.
 *
 * @example
 * describeHostConformance("LocalHost", async () => {
 *   const fixture = await makeFixtureFleet(`{ ... }: { web = { count = 2; }; }`);
 *   const fleet = Fleet.open({ cwd: fixture.projectDir });
 *   return { host: new LocalHost(fleet), machines: fixture.manifest.machines,
 *            vmStateDir: (n) => vmPaths(fleet.project, n).dir, cleanup: async () => {} };
 * });
 */
export function describeHostConformance(name: string, makeHost: () => Promise<ConformanceSetup>): void {
  describe(`${name} conforms to Host`, () => {
    let setup: ConformanceSetup;
    let host: Host;
    let machines: ManifestMachine[];
    let first: ManifestMachine;
    const started = new Map<string, StartResult>();
    const events: VmEvent[] = [];
    const listening = new AbortController();

    beforeAll(async () => {
      setup = await makeHost();
      host = setup.host;
      machines = setup.machines;
      first = machines[0] as ManifestMachine;
      // Heard from before the first start to the end of the suite.
      void (async () => {
        for await (const event of host.events({ signal: listening.signal })) events.push(event);
      })().catch(() => undefined);
      await Bun.sleep(1000); // the stream's first look at the VMs is its baseline
    }, SLOW_MS);

    afterAll(async () => {
      listening.abort();
      // Whatever a failed test left running is stopped; every failure is reported, none hides another.
      const problems: string[] = [];
      try {
        for (const report of await host.stop())
          if (!report.ok) problems.push(`${report.machine}: ${report.error}`);
      } catch (error) {
        problems.push(String(error));
      }
      await setup.cleanup();
      if (problems.length > 0) throw new Error(`cleanup failed: ${problems.join("; ")}`);
    }, SLOW_MS);

    test("declares its capabilities and how closures reach it", () => {
      expect(typeof host.name).toBe("string");
      expect(host.name.length).toBeGreaterThan(0);
      for (const key of ["exec", "logs", "build", "ssh"] as const)
        expect(typeof host.capabilities[key]).toBe("boolean");
      expect(["local", "nix-copy", "agent-builds"]).toContain(host.closures);
      // The rest of the suite needs these two.
      expect(host.capabilities.exec).toBe(true);
      expect(host.capabilities.logs).toBe(true);
    });

    test(
      "starts machines and reports each one ready, with progress on the way",
      async () => {
        const progress: StartProgress[] = [];
        const results = await host.start(machines, { onProgress: (p) => progress.push(p) });
        expect(results.map((r) => r.machine).sort()).toEqual(machines.map((m) => m.name).sort());
        for (const result of results) {
          started.set(result.machine, result);
          expect(result.ok).toBe(true);
          expect(result.readiness).toBe("ready");
          expect(result.error).toBeNull();
          expect(result.consoleTail).toEqual([]);
          expect(result.pid).toBeGreaterThan(0);
          expect(result.durationMs).toBeGreaterThan(0);
          const ssh = result.forwards.find((f) => f.name === "ssh");
          expect(ssh?.guestPort).toBe(22);
          expect(ssh?.hostPort).toBeGreaterThan(0);
          expect(ssh?.hostAddress).toBe("127.0.0.1");
          expect(result.health.every((h) => h.ok)).toBe(true);
          const levels = progress.filter((p) => p.machine === result.machine).map((p) => p.readiness);
          expect(levels).toContain("started");
          expect(levels.at(-1)).toBe("ready");
        }
      },
      SLOW_MS,
    );

    test("starting them again leaves them alone and reports them running", async () => {
      const again = await host.start(machines);
      for (const result of again) {
        expect(result.ok).toBe(true);
        expect(result.alreadyRunning).toBe(true);
        expect(result.outdated).toBe(false);
        expect(result.pid).toBe(started.get(result.machine)?.pid ?? -1);
      }
    });

    test("status shows them running and ready, all or by name", async () => {
      const all = await host.status();
      for (const machine of machines) {
        const result = started.get(machine.name) as StartResult;
        const status = all.find((s) => s.name === machine.name);
        expect(status).toEqual({
          name: machine.name,
          condition: "running",
          readiness: "ready",
          pid: result.pid,
          uptimeSeconds: expect.any(Number),
          forwards: result.forwards,
          health: result.health,
          healthy: true,
          lastHealthCheck: expect.any(String),
          initScript: expect.anything(),
          error: null,
          stoppedBy: null,
          username: machine.username,
          // Every host supervises: a worker in its process watches each VM for life.
          healthStatus: "healthy",
          restarts: 0,
          watcherPid: expect.any(Number),
        });
        const [byName] = await host.status([machine.name]);
        expect(byName).toEqual({ ...(status as VmStatus), uptimeSeconds: expect.any(Number) });
      }
    });

    test("exec runs a command in the guest and returns its exit code and output", async () => {
      // Compared field by field: output-truncation flags are only present when output was cut.
      const plain = ({ exitCode, signal, stdout, stderr, ...rest }: ExecResult) => ({
        exitCode,
        signal,
        stdout,
        stderr,
        truncated: Object.values(rest).some(Boolean),
      });
      expect(plain(await host.exec(first.name, ["hostname"]))).toEqual({
        exitCode: 0,
        signal: null,
        stdout: `${first.name}\n`,
        stderr: "",
        truncated: false,
      });
      expect(plain(await host.exec(first.name, ["sh", "-c", "echo out; echo err >&2; exit 3"]))).toEqual({
        exitCode: 3,
        signal: null,
        stdout: "out\n",
        stderr: "err\n",
        truncated: false,
      });
    });

    test("logs give the console's last lines, and follow streams new ones", async () => {
      const tail: string[] = [];
      for await (const line of host.logs(first.name, { lines: 5 })) tail.push(line);
      expect(tail.length).toBeGreaterThan(0);
      expect(tail.length).toBeLessThanOrEqual(5);

      const marker = `conformance-${Date.now()}`;
      const abort = new AbortController();
      const lines = host.logs(first.name, { follow: true, lines: 0, signal: abort.signal });
      const seen = firstMatching(lines, (l) => l.includes(marker), `holding ${marker}`, 60_000);
      try {
        // Written by the guest on its serial console, after the stream is open.
        await Bun.sleep(500);
        const wrote = await host.exec(first.name, ["sh", "-c", `echo ${marker} > /dev/console`]);
        expect(wrote.exitCode).toBe(0);
        expect(await seen).toContain(marker);
      } finally {
        abort.abort();
      }
    });

    test("unknown machines are not-found errors", async () => {
      for (const call of [
        host.status(["no-such-vm"]),
        host.exec("no-such-vm", ["true"]),
        host.stop(["no-such-vm"]),
      ]) {
        const error = await rejectionOf(call);
        expect(error).toBeInstanceOf(NoheadError);
        expect((error as NoheadError).kind).toBe("not-found");
        expect((error as NoheadError).message).toContain("no-such-vm");
      }
    });

    test("stop stops a machine gracefully, and status says how", async () => {
      const [report] = await host.stop([first.name]);
      expect(report?.machine).toBe(first.name);
      expect(report?.ok).toBe(true);
      expect(report?.error).toBeNull();
      expect(STOP_METHODS).toContain(report?.method ?? "none");
      const [status] = await host.status([first.name]);
      expect(status?.condition).toBe("stopped");
      expect(status?.pid).toBeNull();
      expect(status?.uptimeSeconds).toBeNull();
      expect(status?.stoppedBy).toBe(report?.method ?? "none");
      // Stopping everything stops the others and leaves the stopped one alone.
      const rest = await host.stop();
      expect(rest.map((r) => r.machine).sort()).toEqual(
        machines
          .slice(1)
          .map((m) => m.name)
          .sort(),
      );
      expect(rest.every((r) => r.ok)).toBe(true);
      expect((await host.status()).filter((s) => s.condition === "running")).toEqual([]);
    });

    test("the event stream told each machine's start, ready, healthy and stop, in that order", async () => {
      const deadline = performance.now() + 5000;
      const stopsHeard = () =>
        machines.every((m) => events.some((e) => e.machine === m.name && e.type === "stop"));
      while (!stopsHeard() && performance.now() < deadline) await Bun.sleep(100);
      for (const machine of machines) {
        const own = events.filter((e) => e.machine === machine.name);
        expect(own.map((e) => e.type)).toEqual(["start", "ready", "healthy", "stop"]);
        expect(own[0]?.pid).toBe(started.get(machine.name)?.pid ?? -1);
        expect(own.map((e) => e.at)).toEqual(own.map((e) => e.at).sort());
      }
    });

    test("destroy deletes a machine's disk and state", async () => {
      expect(existsSync(setup.vmStateDir(first.name))).toBe(true);
      const report = await host.destroy(first.name);
      expect(report).toEqual({
        machine: first.name,
        ok: true,
        method: "already-stopped",
        durationMs: expect.any(Number),
        error: null,
      });
      expect(existsSync(setup.vmStateDir(first.name))).toBe(false);
      const after = (await host.status()).find((s) => s.name === first.name);
      expect(after === undefined || after.condition === "not-started").toBe(true);
    });
  });
}
