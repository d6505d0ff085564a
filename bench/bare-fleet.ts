/**
 * The floor `nohead runall` is compared with: a bare script that launches a build's runners in
 * parallel with exactly the env and argv nohead gives them (`runnerInvocation`, `launchRunner`),
 * then polls what `ready` means for a machine with only `health.ssh` — a guest-agent ping, then
 * an SSH banner on the ssh forward — every 100 ms. No workers, no state files, no locks, no
 * readiness levels; the probes use nohead's deadlines (3 s). The VMs keep running after it
 * exits; the caller stops them.
 *
 * The agent is awaited before SSH, as nohead does: probing SSH while the guest still boots holds
 * a connection that user networking accepted but the guest never answers, until the probe's 3 s
 * deadline — measured here as a constant ~2 s penalty for 1 VM when both were polled at once.
 *
 * Run: `bun bench/bare-fleet.ts <result dir> <state dir>`; prints
 * `{ "readyMs": …, "vms": [{ "name", "pid", "startTicks", "qmp" }] }`.
 */
import { join } from "node:path";
import {
  GuestAgentClient,
  identityKernelParams,
  launchRunner,
  probeSshBanner,
  QmpClient,
  runnerInvocation,
} from "@nohead/qemu";
import { type ManifestMachine, Manifest, MANIFEST_FILE } from "@nohead/schema";
import {
  ensureSshIdentity,
  ensureVmDirs,
  isSameProcessAlive,
  privateNetworkOf,
  type Project,
  projectAt,
  readProcStat,
  vmPaths,
} from "@nohead/supervisor";

const POLL_MS = 100;
const DEADLINE_MS = 300_000;

export interface BareVm {
  name: string;
  pid: number;
  startTicks: string | null;
  qmp: string;
}

function launch(project: Project, machine: ManifestMachine, publicKey: string): BareVm {
  const paths = vmPaths(project, machine.name);
  ensureVmDirs(project, paths);
  const network = privateNetworkOf(project);
  const privateNetwork = machine.network ? { ...network, mac: machine.network.mac } : null;
  const invocation = runnerInvocation({
    disk: paths.disk,
    tmpDir: paths.tmp,
    forwards: machine.forwards,
    sockets: { qmp: paths.qmp, guestAgent: paths.guestAgent, console: paths.console },
    consoleLog: paths.consoleLog,
    display: "none",
    privateNetwork,
    credentials: { "nohead.ssh-authorized-keys": publicKey },
    // The instance's identity, as nohead gives it (one runner serves every instance of a type).
    kernelParams: identityKernelParams(machine, privateNetwork !== null),
    extraArgs: [],
  });
  const { pid } = launchRunner({
    name: machine.name,
    runner: machine.runner,
    args: invocation.args,
    env: invocation.env,
    cwd: paths.dir,
    logFile: paths.qemuLog,
  });
  return { name: machine.name, pid, startTicks: readProcStat(pid)?.startTicks ?? null, qmp: paths.qmp };
}

async function untilReady(project: Project, vm: BareVm, started: number): Promise<void> {
  const paths = vmPaths(project, vm.name);
  const check = () => {
    if (performance.now() - started > DEADLINE_MS) throw new Error(`${vm.name}: not ready within 300 s`);
    if (!isSameProcessAlive(vm.pid, vm.startTicks))
      throw new Error(`${vm.name}: QEMU exited (see ${paths.qemuLog})`);
  };
  let sshPort: number | undefined;
  while (sshPort === undefined) {
    check();
    try {
      const qmp = await QmpClient.connect(paths.qmp, { timeoutMs: 2000 });
      try {
        sshPort = (await qmp.hostForwards()).find(
          (f) => f.protocol === "tcp" && f.guestPort === 22,
        )?.hostPort;
      } finally {
        qmp.close();
      }
    } catch {
      // QEMU has not opened its QMP socket yet.
    }
    if (sshPort === undefined) await Bun.sleep(POLL_MS);
  }
  const port = sshPort;
  await pollUntil(check, () => pingAgent(paths.guestAgent));
  await pollUntil(check, () => probeSshBanner("127.0.0.1", port, 3000).then((r) => r.ok));
}

async function pollUntil(check: () => void, probe: () => Promise<boolean>): Promise<void> {
  for (;;) {
    check();
    if (await probe()) return;
    await Bun.sleep(POLL_MS);
  }
}

async function pingAgent(socket: string): Promise<boolean> {
  try {
    // nohead's deadlines. Shorter ones (1 s) measured ~2 s slower for 4 VMs here, probably as
    // each abandoned attempt leaves bytes in the channel that the agent reads once it starts.
    const agent = await GuestAgentClient.connect(socket, { timeoutMs: 3000 });
    try {
      await agent.ping({ timeoutMs: 3000 });
      return true;
    } finally {
      agent.close();
    }
  } catch {
    return false;
  }
}

if (import.meta.main) {
  const [resultDir, stateRoot] = process.argv.slice(2);
  if (!resultDir || !stateRoot) {
    console.error("usage: bun bench/bare-fleet.ts <result dir> <state dir>");
    process.exit(2);
  }
  const started = performance.now();
  const manifest = Manifest.parse(await Bun.file(join(resultDir, MANIFEST_FILE)).json());
  const project = projectAt(stateRoot, join(stateRoot, ".nohead"));
  const { publicKey } = ensureSshIdentity(project);
  const vms = manifest.machines.map((machine) => launch(project, machine, publicKey));
  try {
    await Promise.all(vms.map((vm) => untilReady(project, vm, started)));
  } catch (error) {
    for (const vm of vms) {
      if (isSameProcessAlive(vm.pid, vm.startTicks)) process.kill(vm.pid, "SIGKILL");
    }
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
  process.stdout.write(`${JSON.stringify({ readyMs: performance.now() - started, vms })}\n`);
}
