import { afterAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { ManifestMachine } from "@nohead/schema";
import { noheadErrorOf, rejectionOf } from "@nohead/schema/testing";
import { Fleet } from "./fleet.ts";
import { ensureVmDirs, projectAt, vmPaths } from "./project.ts";
import type { StartSpec } from "./start-vm.ts";
import { startAll } from "./vm-pool.ts";

const OTHER_UID = 64_003;
const REPO_ROOT = join(import.meta.dir, "../../..");
const scratch = mkdtempSync(join(tmpdir(), "nohead-project-dirs-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let n = 0;

/** A project in a fresh directory whose runtime base is `<xdg>/nohead`. */
function projectWithRuntime() {
  const dir = join(scratch, `case-${++n}`);
  mkdirSync(join(dir, "xdg"), { recursive: true, mode: 0o700 });
  const project = projectAt(dir, join(dir, ".nohead"), { XDG_RUNTIME_DIR: join(dir, "xdg") });
  return { dir, project, paths: vmPaths(project, "web-1") };
}

const modeOf = (path: string) => lstatSync(path).mode & 0o7777;

describe("a project's directories", () => {
  test("are created 0700: state, the VM's state and tmp, the runtime base, the project's and the VM's sockets", () => {
    const { project, paths } = projectWithRuntime();
    ensureVmDirs(project, paths);
    for (const dir of [
      project.stateDir,
      paths.dir,
      paths.tmp,
      dirname(project.runtimeDir),
      project.runtimeDir,
      paths.socketDir,
    ]) {
      expect(modeOf(dir)).toBe(0o700);
    }
  });

  test("a runtime base pre-created by another user, mode 0777, is refused with the path and the fix", () => {
    const { dir, project, paths } = projectWithRuntime();
    const base = join(dir, "xdg", "nohead");
    mkdirSync(base);
    chmodSync(base, 0o777);
    chownSync(base, OTHER_UID, OTHER_UID);
    const error = noheadErrorOf(() => ensureVmDirs(project, paths));
    expect(error.kind).toBe("config");
    expect(error.message).toStartWith(`the runtime directory ${base} belongs to uid ${OTHER_UID}`);
    expect(error.hint).toContain("set XDG_RUNTIME_DIR to a directory of yours");
    // Nothing of ours went into it.
    expect(existsSync(project.runtimeDir)).toBe(false);
  });

  test("a symbolic link as the runtime directory is refused", () => {
    const { dir, project, paths } = projectWithRuntime();
    const elsewhere = join(dir, "elsewhere");
    mkdirSync(elsewhere, { mode: 0o700 });
    symlinkSync(elsewhere, join(dir, "xdg", "nohead"));
    const error = noheadErrorOf(() => ensureVmDirs(project, paths));
    expect(error.message).toBe(
      `the runtime directory ${join(dir, "xdg", "nohead")} is a symbolic link; nohead uses only a real directory it owns`,
    );
    expect(existsSync(join(elsewhere, project.id))).toBe(false);
  });

  test("a .nohead made by an older nohead (0755) is tightened; another user's is refused", () => {
    const older = projectWithRuntime();
    mkdirSync(older.project.stateDir, { mode: 0o755 });
    chmodSync(older.project.stateDir, 0o755);
    ensureVmDirs(older.project, older.paths);
    expect(modeOf(older.project.stateDir)).toBe(0o700);
    const planted = projectWithRuntime();
    mkdirSync(planted.project.stateDir, { mode: 0o700 });
    chownSync(planted.project.stateDir, OTHER_UID, OTHER_UID);
    expect(noheadErrorOf(() => ensureVmDirs(planted.project, planted.paths)).message).toStartWith(
      `the state directory ${planted.project.stateDir} belongs to uid ${OTHER_UID}`,
    );
  });

  test("without XDG_RUNTIME_DIR, a /tmp/nohead-<uid> another user made first (0777) is refused (as that uid)", () => {
    // The attack as reproduced: the victim runs as `uid`, root (another user) made its fallback.
    const uid = 64_100 + Math.floor(Math.random() * 800);
    const fallback = `/tmp/nohead-${uid}`;
    const home = mkdtempSync(join(tmpdir(), "nohead-victim-home-"));
    chownSync(home, uid, uid);
    mkdirSync(fallback, { mode: 0o777 });
    chmodSync(fallback, 0o777);
    try {
      const script = `
        import { findProject, ensureVmDirs, vmPaths } from "@nohead/supervisor/project";
        const project = findProject(${JSON.stringify(home)}, {});
        try { ensureVmDirs(project, vmPaths(project, "web-1")); console.log("used " + project.runtimeDir); }
        catch (error) { console.log(error.message); console.log(error.hint); }`;
      const run = Bun.spawnSync(
        ["setpriv", `--reuid=${uid}`, `--regid=${uid}`, "--clear-groups", "bun", "-e", script],
        {
          cwd: REPO_ROOT,
          env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home },
          stdout: "pipe",
          stderr: "pipe",
        },
      );
      const [message, hint] = run.stdout.toString().split("\n");
      expect(run.stderr.toString()).toBe("");
      expect(message).toBe(
        `the runtime directory ${fallback} belongs to uid 0, not to you (uid ${uid}): another user may have made it to take over your VMs' sockets or files`,
      );
      expect(hint).toContain("set XDG_RUNTIME_DIR to a directory of yours");
      expect(readdirSync(fallback)).toEqual([]);
    } finally {
      rmSync(fallback, { recursive: true, force: true });
      rmSync(home, { recursive: true, force: true });
    }
  });

  test("destroy removes the VM's sockets only when they are sockets of ours", async () => {
    const { project, paths } = projectWithRuntime();
    const fleet = new Fleet(project, join(project.root, "result"), {
      schemaVersion: 1,
      network: { subnet: "10.213.0.0/16" },
      machines: [],
      images: [],
    });
    ensureVmDirs(project, paths);
    // A QEMU killed without cleaning up leaves its sockets; another user's is never removed.
    const ours = Bun.listen({ unix: paths.qmp, socket: { data() {} } });
    const theirs = Bun.listen({ unix: paths.guestAgent, socket: { data() {} } });
    try {
      chownSync(paths.guestAgent, OTHER_UID, OTHER_UID);
      const refused = await rejectionOf(fleet.destroy("web-1"));
      expect((refused as Error).message).toStartWith(
        `${paths.guestAgent} is not a socket of yours (it belongs to uid ${OTHER_UID}`,
      );
      expect(lstatSync(paths.guestAgent).isSocket()).toBe(true);
      expect(existsSync(paths.dir)).toBe(true);
      chownSync(paths.guestAgent, process.getuid?.() ?? 0, 0);
      expect((await fleet.destroy("web-1")).ok).toBe(true);
      for (const gone of [paths.qmp, paths.guestAgent, paths.socketDir, paths.dir])
        expect(existsSync(gone)).toBe(false);
    } finally {
      ours.stop(true);
      theirs.stop(true);
    }
  });

  test("starting a VM under a runtime base another user made fails that VM with the path and the fix", async () => {
    const { dir, project } = projectWithRuntime();
    const base = join(dir, "xdg", "nohead");
    mkdirSync(base);
    chmodSync(base, 0o777);
    chownSync(base, OTHER_UID, OTHER_UID);
    const machine = { name: "web-1", dependsOn: [] } as unknown as ManifestMachine;
    const spec: StartSpec = {
      project,
      machine,
      display: "none",
      fresh: false,
      extraArgs: [],
      credentials: {},
      network: null,
    };
    const [result] = await startAll([spec], () => undefined);
    expect(result?.ok).toBe(false);
    expect(result?.error).toBe(
      `the runtime directory ${base} belongs to uid ${OTHER_UID}, not to you (uid ${process.getuid?.()}): another user may have made it to take over your VMs' sockets or files (remove ${base} (as its owner or root) and run again; nohead creates it mode 0700, or set XDG_RUNTIME_DIR to a directory of yours)`,
    );
    expect(existsSync(project.runtimeDir)).toBe(false);
  });
});
