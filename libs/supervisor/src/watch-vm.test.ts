/** A VM whose QEMU dies before it answers: the failure keeps QEMU's words and names `nohead doctor`. */
import { describe, expect, test } from "bun:test";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { testTempDir } from "../../../tests/support/temp-dir.ts";
import { ensureVmDirs, projectAt, vmPaths } from "./project.ts";
import { launchVm } from "./watch-vm.ts";

describe("launchVm", () => {
  test("QEMU missing on the host: failed, with its message and a pointer to nohead doctor", async () => {
    const root = testTempDir("nohead-watch-");
    const runner = join(root, "run-web-vm");
    // What a runner prints when its QEMU is not there (the shell's own message, exit 127).
    writeFileSync(runner, "#!/bin/sh\necho 'run-web-vm: qemu-system-x86_64: not found' >&2\nexit 127\n");
    chmodSync(runner, 0o755);
    const project = projectAt(root, join(root, ".nohead"), { XDG_RUNTIME_DIR: root });
    const paths = vmPaths(project, "web");
    ensureVmDirs(project, paths);
    const { outcome } = await launchVm(
      {
        machine: {
          name: "web",
          runner,
          system: "/nix/store/x-system",
          username: "nixy",
          forwards: [],
          restart: "no",
          health: {
            ssh: false,
            tcp: [],
            command: null,
            initScript: false,
            intervalSeconds: 30,
            timeoutSeconds: 10,
            retries: 3,
            deadlines: { startedSeconds: 10, bootedSeconds: 10, readySeconds: 10 },
          },
        },
        paths,
        display: "none",
        keepFailed: false,
        invocation: { args: [], env: {} },
        supervised: false,
      },
      () => {},
      () => {},
    );
    expect(outcome.readiness).toBe("failed");
    expect(outcome.error).toBe(
      "QEMU exited while waiting for QMP to answer: run-web-vm: qemu-system-x86_64: not found (if this host is the cause, `nohead doctor` checks KVM, QEMU and the runtime directory)",
    );
  });

  test("a directory that cannot be created is a user error naming it and nohead doctor", () => {
    const root = testTempDir("nohead-watch-");
    writeFileSync(join(root, "file"), "");
    const project = projectAt(root, join(root, ".nohead"), { XDG_RUNTIME_DIR: join(root, "file") });
    const paths = vmPaths(project, "web");
    let error: unknown;
    try {
      ensureVmDirs(project, paths);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ kind: "config" });
    expect((error as Error).message).toStartWith(
      `the runtime directory ${join(root, "file", "nohead")} cannot be used: ENOTDIR`,
    );
    expect((error as { hint: string }).hint).toContain("`nohead doctor`");
  });
});
