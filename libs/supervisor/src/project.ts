/**
 * A project: the directory whose `.nohead/` holds the state of its VMs (like `.vagrant/`), and a
 * short runtime directory for its Unix sockets (paths are limited to 108 bytes).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

export interface Project {
  /** The project directory. */
  root: string;
  /** `<root>/.nohead` (or NOHEAD_STATE_DIR). */
  stateDir: string;
  /** A short directory for sockets: $XDG_RUNTIME_DIR/nohead/<id> or /tmp/nohead-<uid>/<id>. */
  runtimeDir: string;
  /** 8 hex characters derived from the state dir: names this project's sockets and network. */
  id: string;
}

/**
 * The project of `cwd`: the nearest ancestor holding `.nohead/`, else `cwd` itself.
 * `NOHEAD_STATE_DIR` overrides where state lives (the agent uses its own).
 */
export function findProject(cwd: string, env: Record<string, string | undefined> = process.env): Project {
  if (env.NOHEAD_STATE_DIR)
    return projectAt(dirname(resolve(env.NOHEAD_STATE_DIR)), resolve(env.NOHEAD_STATE_DIR), env);
  let dir = resolve(cwd);
  for (;;) {
    if (existsSync(join(dir, ".nohead"))) return projectAt(dir, join(dir, ".nohead"), env);
    const parent = dirname(dir);
    if (parent === dir) return projectAt(resolve(cwd), join(resolve(cwd), ".nohead"), env);
    dir = parent;
  }
}

/** The project whose state lives in `stateDir`. */
export function projectAt(
  root: string,
  stateDir: string,
  env: Record<string, string | undefined> = process.env,
): Project {
  const id = createHash("sha256").update(stateDir).digest("hex").slice(0, 8);
  const base = env.XDG_RUNTIME_DIR
    ? join(env.XDG_RUNTIME_DIR, "nohead")
    : `/tmp/nohead-${process.getuid?.() ?? 0}`;
  return { root, stateDir, runtimeDir: join(base, id), id };
}

/** Per-VM paths: state and disk under the state dir, sockets under the runtime dir. */
export function vmPaths(project: Project, name: string) {
  const dir = join(project.stateDir, "vms", name);
  // Sockets: a short hash of the name keeps the path short whatever the name's length.
  const sockets = join(project.runtimeDir, createHash("sha256").update(name).digest("hex").slice(0, 10));
  return {
    dir,
    state: join(dir, "state.json"),
    disk: join(dir, "disk.qcow2"),
    diskRecord: join(dir, "disk.json"),
    consoleLog: join(dir, "console.log"),
    qemuLog: join(dir, "qemu.log"),
    /** Present while a command stops the VM: its watcher must not restart it. */
    stopRequest: join(dir, "stop-requested"),
    tmp: join(dir, "tmp"),
    socketDir: sockets,
    qmp: join(sockets, "qmp"),
    guestAgent: join(sockets, "qga"),
    console: join(sockets, "console"),
    /** A second QMP monitor, held by the VM's watcher for QEMU's events. */
    events: join(sockets, "events"),
  };
}
export type VmPaths = ReturnType<typeof vmPaths>;

/** Creates the directories of a VM (state dir private to the user: it holds the disk). */
export function ensureVmDirs(paths: VmPaths): void {
  mkdirSync(paths.tmp, { recursive: true, mode: 0o700 });
  mkdirSync(paths.socketDir, { recursive: true, mode: 0o700 });
}
