/**
 * A project: the directory whose `.nohead/` holds the state of its VMs (like `.vagrant/`), and a
 * short runtime directory for its Unix sockets (paths are limited to 108 bytes). Both are private
 * to the user: created 0700 and checked before use (`@nohead/qemu`'s private directories), since
 * whoever controls the socket directory controls what answers as the VM. A project follows its
 * build result, not the working directory: {@link findProjectOfResult}.
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { currentUid } from "@nohead/qemu/owned-socket";
import { ensurePrivateDirectory } from "@nohead/qemu/private-directory";

export interface Project {
  /** The project directory. */
  root: string;
  /** `<root>/.nohead` (or NOHEAD_STATE_DIR). */
  stateDir: string;
  /**
   * A short directory for sockets: $XDG_RUNTIME_DIR/nohead/<id>, or /tmp/nohead-<uid>/<id> without
   * XDG_RUNTIME_DIR. Use it through {@link ensureRuntimeDir}: the fallback is in /tmp, where
   * another user may have made it first.
   */
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

/**
 * The project that owns the build result `result` (resolved against `cwd`): the nearest ancestor
 * holding `.nohead/` of the directory that holds the result (its link, or a plain directory), else
 * that directory. A bare Nix store path belongs to no directory, so its project is `cwd`'s. The
 * same `-r` therefore reaches the same VMs from any working directory.
 *
 * @example
 * findProjectOfResult("/tmp", "/home/me/web/result") // => the project at /home/me/web
 * findProjectOfResult("/home/me/web", "/nix/store/…-nohead-fleet") // => the project at /home/me/web
 */
export function findProjectOfResult(
  cwd: string,
  result = "result",
  env: Record<string, string | undefined> = process.env,
): Project {
  const path = resolve(cwd, result);
  const storeDir = resolve(env.NIX_STORE_DIR ?? "/nix/store");
  if (path.startsWith(`${storeDir}/`)) return findProject(cwd, env);
  return findProject(dirname(path), env);
}

/** The project whose state lives in `stateDir`. */
export function projectAt(
  root: string,
  stateDir: string,
  env: Record<string, string | undefined> = process.env,
): Project {
  const id = shortHash(stateDir, 8);
  const base = env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, "nohead") : `/tmp/nohead-${currentUid()}`;
  return { root, stateDir, runtimeDir: join(base, id), id };
}

/**
 * The first `length` hex digits of `text`'s SHA-256. Bun's own hasher: loading node:crypto costs
 * the fast paths (`status`, `list`) ~7 ms of CPU, measured.
 */
function shortHash(text: string, length: number): string {
  return new Bun.CryptoHasher("sha256").update(text).digest("hex").slice(0, length);
}

/** Per-VM paths: state and disk under the state dir, sockets under the runtime dir. */
export function vmPaths(project: Project, name: string) {
  const dir = join(project.stateDir, "vms", name);
  // Sockets: a short hash of the name keeps the path short whatever the name's length.
  const sockets = join(project.runtimeDir, shortHash(name, 10));
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

/**
 * Creates (0700) and checks the project's state directory: it holds the SSH key every guest
 * trusts and the VMs' disks. Throws a `config` NoheadError naming the path and the fix when it is
 * a symbolic link, another user's, or writable by others.
 */
export function ensureStateDir(project: Project): void {
  ensurePrivateDirectory(project.stateDir, "the state directory", {
    alternative: "set NOHEAD_STATE_DIR to a directory of yours",
  });
}

/**
 * Creates (0700) and checks the project's runtime directory and the base above it
 * ($XDG_RUNTIME_DIR/nohead or /tmp/nohead-<uid>), where the VMs' sockets (and the project's
 * supervisor socket) live. Refuses one another user made first, a symbolic link, or one others
 * can write to, with the path and the fix.
 *
 * @example
 * ensureRuntimeDir(project); // then bind or connect under project.runtimeDir
 */
export function ensureRuntimeDir(project: Project): void {
  ensurePrivateDirectory(dirname(project.runtimeDir), "the runtime directory", {
    alternative: "set XDG_RUNTIME_DIR to a directory of yours",
  });
  ensurePrivateDirectory(project.runtimeDir, "the project's runtime directory");
}

/** Creates and checks the directories of a VM: its state (it holds the disk) and its sockets. */
export function ensureVmDirs(project: Project, paths: VmPaths): void {
  ensureStateDir(project);
  ensurePrivateDirectory(dirname(paths.dir), "the VMs' state directory");
  ensurePrivateDirectory(paths.dir, "the VM's state directory");
  ensurePrivateDirectory(paths.tmp, "the VM's temporary directory");
  ensureRuntimeDir(project);
  ensurePrivateDirectory(paths.socketDir, "the VM's socket directory");
}
