/**
 * The project's supervisor: the host API app (the agent's) over the project's state, on a unix
 * socket (mode 0600, in the project's private runtime dir) instead of TCP with a token. Commands
 * start it detached when they need it (`nohead supervise`, libs/supervisor's ensureSupervisor);
 * it takes the project's supervisor lock, re-adopts the VMs already running, serves, and ends by
 * itself once the project has no running VM and no request (or event stream) is open.
 * Killing it never stops a VM: QEMU runs in its own session, and the next supervisor re-adopts it.
 */
import { chmodSync, rmSync } from "node:fs";
import { dirname, resolve } from "node:path";
// The host API's own modules, not @nohead/hosts' index (hosts files, closures, Nix): less to load
// before the socket answers.
import { createApp } from "@nohead/hosts/api/app";
import { MachineStore } from "@nohead/hosts/api/machine-store";
import { serveApp } from "@nohead/hosts/api/serve-app";
import {
  ensureRuntimeDir,
  ensureStateDir,
  Fleet,
  projectAt,
  releaseSupervisor,
  runningVmNames,
  supervisorPaths,
  takeSupervisorLock,
  writeSupervisorRecord,
} from "@nohead/supervisor";
import { AGENT_VERSION } from "./agent-version.ts";

/** How often the supervisor looks whether it still has work. */
export const IDLE_CHECK_MS = 1000;
/** Consecutive idle checks before it ends (so a command between two requests finds it alive). */
export const IDLE_CHECKS_TO_END = 3;
/**
 * Idle checks before it ends when no request came yet: a command launches it early, before it
 * loads its modules and reads the build (apps/cli/src/early-supervisor.ts), and a slow path
 * there (a busy machine) must not find it gone. A command that needs it no more (a usage error)
 * leaves it this long.
 */
export const IDLE_CHECKS_BEFORE_FIRST_REQUEST = 10;

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}

/**
 * Takes over the running VMs of `fleet` that no live process watches (checked by pid AND start
 * time): a worker per VM resumes its health checks and restart policy. Returns the adopted names.
 */
async function adoptRunningVms(fleet: Fleet): Promise<string[]> {
  const reports = await fleet.adopt(runningVmNames(fleet.project));
  for (const r of reports) if (!r.adopted) log(`${r.machine}: not adopted (${r.reason})`);
  return reports.filter((r) => r.adopted).map((r) => r.machine);
}

/**
 * Supervises the project whose state is `stateDir` until it has nothing left to do or gets
 * SIGTERM/SIGINT; resolves with the exit code (0 also when another supervisor already runs).
 */
export async function runSupervisor({ stateDir }: { stateDir: string }): Promise<number> {
  const dir = resolve(stateDir);
  const project = projectAt(dirname(dir), dir);
  const paths = supervisorPaths(project);
  ensureStateDir(project);
  if (!takeSupervisorLock(paths)) {
    log(`another supervisor holds ${paths.lock}; nothing to do`);
    return 0;
  }
  try {
    // Created 0700 and proved (ours, not a link, closed to others): the socket's only guard.
    ensureRuntimeDir(project);
    // We hold the lock: a socket there was left by a killed supervisor.
    rmSync(paths.socket, { force: true });
    const machines = new MachineStore(dir);
    // Each VM's worker lives here for the VM's whole life: health checks, restart policy, events.
    const fleet = new Fleet(project, dir, machines.manifest, { supervise: true });
    const adopted = await adoptRunningVms(fleet);
    const app = createApp({
      fleet,
      machines,
      token: null,
      version: AGENT_VERSION,
      // Its only client is its own user, who may run anything the CLI runs.
      storeDir: null,
      secretsDir: null,
      allowQemuArgs: "any",
      allowWindows: true,
    });
    // The socket is created with the umask's mode: make it 0600 from the start, not after.
    const umask = process.umask(0o177);
    let served: ReturnType<typeof serveApp>;
    try {
      served = serveApp(app, { unix: paths.socket });
    } finally {
      process.umask(umask);
    }
    chmodSync(paths.socket, 0o600);
    const record = writeSupervisorRecord(paths);
    log(
      `supervising ${project.root} on ${paths.socket} (pid ${record.pid}); ` +
        (adopted.length > 0 ? `re-adopted ${adopted.join(", ")}` : "no VM running yet"),
    );
    let requestsSeen = 0;
    /** No request came since the last look (one answered between two looks counts too). */
    const noNewRequest = () => {
      const before = requestsSeen;
      requestsSeen = served.requestsReceived();
      return requestsSeen === before;
    };
    const signal = await untilIdleOrSignal(
      () =>
        noNewRequest() &&
        served.activeRequests() === 0 &&
        runningVmNames(project).length === 0 &&
        fleet.watching().length === 0,
      () => (served.requestsReceived() === 0 ? IDLE_CHECKS_BEFORE_FIRST_REQUEST : IDLE_CHECKS_TO_END),
    );
    log(signal ? `${signal}: ending; the VMs keep running` : "no VM left and no client: ending");
    await served.stop();
    // Their workers end here; the VMs run on, and the next supervisor adopts them.
    await fleet.close();
    return 0;
  } finally {
    releaseSupervisor(paths);
  }
}

/**
 * Resolves with the signal's name on SIGTERM/SIGINT, or undefined once `idle()` held for
 * `checksToEnd()` checks in a row.
 */
function untilIdleOrSignal(
  idle: () => boolean,
  checksToEnd: () => number,
): Promise<NodeJS.Signals | undefined> {
  return new Promise((done) => {
    let idleChecks = 0;
    const timer = setInterval(() => {
      idleChecks = idle() ? idleChecks + 1 : 0;
      if (idleChecks >= checksToEnd()) finish(undefined);
    }, IDLE_CHECK_MS);
    const onSignal = (signal: NodeJS.Signals) => finish(signal);
    const finish = (signal: NodeJS.Signals | undefined) => {
      clearInterval(timer);
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
      done(signal);
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
}
