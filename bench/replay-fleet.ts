/**
 * The bare floor of the scale benchmark: starts the QEMU command lines nohead started (recorded by
 * bench/recorded-qemu.ts: same argv, same working directory, so the same disks, sockets and
 * kernel command line) all at once, then waits from this one process for every VM's SSH banner —
 * the port read over QMP, then a banner probe (1 s deadline) every 100 ms per VM. No workers, no
 * state files, no forks per probe, so the poller costs the guests next to no CPU. The VMs keep
 * running after it exits; the caller stops them.
 *
 * Run: `bun bench/replay-fleet.ts <recorded.json>`; prints
 * `{ "readyMs": …, "vms": [{ "name", "pid", "startTicks", "qmp" }] }` (bench/bare-round.ts reads it).
 */
import { closeSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import { probeSshBanner, QmpClient } from "@nohead/qemu";
import { isSameProcessAlive, readProcStat } from "@nohead/supervisor";
import { z } from "zod";
import { RecordedQemu } from "./recorded-qemu.ts";

const POLL_MS = 100;
const DEADLINE_MS = 300_000;

/** The QMP socket of a QEMU argv: the first `-qmp unix:<path>,…` (a `,` in the path is written twice). */
export function qmpSocketOf(argv: string[]): string {
  const value = argv[argv.indexOf("-qmp") + 1] ?? "";
  const path = /^unix:((?:[^,]|,,)+)/.exec(value)?.[1];
  if (path === undefined) throw new Error(`no -qmp unix: socket in ${argv.join(" ")}`);
  return path.replaceAll(",,", ",");
}

async function sshPortOf(qmpSocket: string, alive: () => void): Promise<number> {
  for (;;) {
    alive();
    try {
      const qmp = await QmpClient.connect(qmpSocket, { timeoutMs: 2000 });
      try {
        const port = (await qmp.hostForwards()).find(
          (f) => f.protocol === "tcp" && f.guestPort === 22,
        )?.hostPort;
        if (port !== undefined) return port;
      } finally {
        qmp.close();
      }
    } catch {
      // QEMU has not opened its QMP socket yet.
    }
    await Bun.sleep(POLL_MS);
  }
}

if (import.meta.main) {
  const [file] = process.argv.slice(2);
  if (!file) {
    console.error("usage: bun bench/replay-fleet.ts <recorded.json>");
    process.exit(2);
  }
  const recorded = z.array(RecordedQemu).parse(await Bun.file(file).json());
  const started = performance.now();
  const vms = recorded.map(({ name, argv, cwd }) => {
    // The runner made its scratch dir (QEMU's cwd); a stop may have removed it since.
    mkdirSync(cwd, { recursive: true });
    const log = openSync(join(cwd, "replay-qemu.log"), "w", 0o600);
    try {
      const child = Bun.spawn(argv, { cwd, detached: true, stdio: ["ignore", log, log] });
      child.unref();
      return {
        name,
        pid: child.pid,
        startTicks: readProcStat(child.pid)?.startTicks ?? null,
        qmp: qmpSocketOf(argv),
      };
    } finally {
      closeSync(log);
    }
  });
  try {
    await Promise.all(
      vms.map(async (vm) => {
        const alive = () => {
          if (performance.now() - started > DEADLINE_MS)
            throw new Error(`${vm.name}: no SSH banner within 300 s`);
          if (!isSameProcessAlive(vm.pid, vm.startTicks)) throw new Error(`${vm.name}: QEMU exited`);
        };
        const port = await sshPortOf(vm.qmp, alive);
        for (;;) {
          alive();
          if ((await probeSshBanner("127.0.0.1", port, 1000)).ok) return;
          await Bun.sleep(POLL_MS);
        }
      }),
    );
  } catch (error) {
    for (const vm of vms) if (isSameProcessAlive(vm.pid, vm.startTicks)) process.kill(vm.pid, "SIGKILL");
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
  process.stdout.write(`${JSON.stringify({ readyMs: performance.now() - started, vms })}\n`);
}
