/**
 * Measures the test fixture VM (a standalone script, not part of `bun bench`: numbers vary with the
 * machine): build time from scratch, initramfs size, boot to SSH banner for 1 VM and for N in
 * parallel, and the time QEMU takes to exit after QMP system_powerdown and after guest-shutdown.
 * Run: `bun bench/fixture-boot.ts [parallel=4]`; prints one JSON object.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { GuestAgentClient, QmpClient, QmpDisconnectedError } from "@nohead/qemu";
import { ensureFixture } from "../tests/fixture/build-fixture.ts";
import { exitedWithin, type FixtureVm, launchFixtureVm } from "../tests/fixture/launch-fixture-vm.ts";

const DEADLINE_MS = 300_000;

/** What {@link measureFixtureBoot} prints. */
export interface FixtureBootResult {
  buildFromScratchMs: number;
  initrdBytes: number;
  bootToSshBannerMs: { one: number | undefined; parallel: number; each: number[]; max: number };
  powerdownMs: number | undefined;
  guestShutdownMs: number | undefined;
}

async function measureBuild(): Promise<{ buildMs: number; initrdBytes: number }> {
  const cacheDir = await mkdtemp("/tmp/nhfx-measure-");
  const previous = process.env.NOHEAD_FIXTURE_DIR;
  process.env.NOHEAD_FIXTURE_DIR = cacheDir;
  try {
    const fixture = await ensureFixture({ rebuild: true });
    return { buildMs: fixture.buildMs, initrdBytes: fixture.initrdBytes };
  } finally {
    if (previous === undefined) delete process.env.NOHEAD_FIXTURE_DIR;
    else process.env.NOHEAD_FIXTURE_DIR = previous;
    await rm(cacheDir, { recursive: true, force: true });
  }
}

/** Milliseconds from spawning the runner to the first SSH banner line on the forwarded port. */
async function bootToBanner(vm: FixtureVm, started: number): Promise<number> {
  const qmp = await QmpClient.connect(vm.qmpSocket, { timeoutMs: 30_000 });
  let port: number | undefined;
  try {
    port = (await qmp.hostForwards()).find((f) => f.protocol === "tcp" && f.guestPort === 22)?.hostPort;
  } finally {
    qmp.close();
  }
  if (port === undefined) throw new Error(`${vm.name}: QEMU has bound no host forward to guest port 22`);
  while (Date.now() - started < DEADLINE_MS) {
    if (await hasBanner(port)) return Date.now() - started;
    await Bun.sleep(100);
  }
  throw new Error(`${vm.name}: no SSH banner within ${DEADLINE_MS} ms`);
}

function hasBanner(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    const done = (value: boolean) => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(2_000, () => done(false));
    socket.on("data", (chunk) => done(chunk.toString("utf8").startsWith("SSH-")));
    socket.on("error", () => done(false));
    socket.on("close", () => done(false));
  });
}

async function bootMany(count: number, vms: FixtureVm[]): Promise<number[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const started = Date.now();
      const vm = await launchFixtureVm({ name: `m${index}`, netOpts: "hostfwd=tcp:127.0.0.1:0-:22" });
      vms.push(vm);
      return bootToBanner(vm, started);
    }),
  );
}

/** Milliseconds from asking for a power-off to QEMU's exit. */
async function timeExit(vm: FixtureVm, how: "system_powerdown" | "guest-shutdown"): Promise<number> {
  const client =
    how === "system_powerdown"
      ? await QmpClient.connect(vm.qmpSocket, { timeoutMs: 30_000 })
      : await GuestAgentClient.connect(vm.qgaSocket, { timeoutMs: DEADLINE_MS });
  try {
    const started = Date.now();
    // guest-shutdown settles only when the connection ends (no reply on success), and QEMU may
    // close QMP before its reply to system_powerdown gets out: the exit is what is timed.
    const asked = (
      client instanceof QmpClient
        ? client.systemPowerdown()
        : client.shutdown("powerdown", { timeoutMs: 60_000 })
    ).then(
      () => undefined,
      (error: unknown) => (error instanceof QmpDisconnectedError ? undefined : error),
    );
    const exited = await exitedWithin(vm.exited, 60_000);
    const elapsedMs = Date.now() - started;
    const failed = await asked;
    if (failed !== undefined) throw failed;
    if (!exited) throw new Error(`${vm.name}: QEMU still runs 60 s after ${how}`);
    return elapsedMs;
  } finally {
    client.close();
  }
}

/**
 * Builds the fixture from scratch in a temp cache, boots 1 VM then `parallel` VMs, times both ways
 * of powering off, and disposes every VM it started.
 *
 * @example
 * const result = await measureFixtureBoot(4); // { buildFromScratchMs: 3400, initrdBytes: 4_900_000, … }
 */
export async function measureFixtureBoot(parallel: number): Promise<FixtureBootResult> {
  const build = await measureBuild();
  await ensureFixture();
  const vms: FixtureVm[] = [];
  try {
    const [one] = await bootMany(1, vms);
    const powerdownMs = vms[0] === undefined ? undefined : await timeExit(vms[0], "system_powerdown");
    await Promise.all(vms.splice(0).map((vm) => vm.dispose()));
    const each = await bootMany(parallel, vms);
    const guestShutdownMs = vms[0] === undefined ? undefined : await timeExit(vms[0], "guest-shutdown");
    return {
      buildFromScratchMs: build.buildMs,
      initrdBytes: build.initrdBytes,
      bootToSshBannerMs: { one, parallel, each, max: Math.max(...each) },
      powerdownMs,
      guestShutdownMs,
    };
  } finally {
    await Promise.allSettled(vms.map((vm) => vm.dispose()));
  }
}

if (import.meta.main) {
  console.log(JSON.stringify(await measureFixtureBoot(Number(process.argv[2] ?? 4)), null, 2));
}
