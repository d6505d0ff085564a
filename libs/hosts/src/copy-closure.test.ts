import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ManifestMachine, NoheadError } from "@nohead/schema";
import { noheadErrorOf } from "@nohead/schema/testing";
import { closureRoots, copyClosure, nixCopyArgv, nixSshOpts } from "./copy-closure.ts";

/** A real, valid path in the local Nix store (added offline). */
function storePath(): string {
  const file = join(mkdtempSync(join(tmpdir(), "nohead-copy-")), "payload.txt");
  writeFileSync(file, `payload ${Date.now()} ${Math.random()}\n`);
  const added = Bun.spawnSync(["nix-store", "--add", file]);
  if (added.exitCode !== 0) throw new Error(`nix-store --add failed: ${added.stderr}`);
  return added.stdout.toString().trim();
}

describe("closures", () => {
  test("roots are the store objects of runners and systems, once each", () => {
    const m = (runner: string, system: string) => ({ runner, system }) as ManifestMachine;
    expect(
      closureRoots([
        m("/nix/store/aaa-run-web-vm/bin/run-web-vm", "/nix/store/bbb-nixos-system-web"),
        m("/nix/store/aaa-run-web-vm/bin/run-web-vm", "/nix/store/ccc-nixos-system-db"),
        m("/elsewhere/run", "/nix/store/ccc-nixos-system-db"),
      ]),
    ).toEqual([
      "/nix/store/aaa-run-web-vm",
      "/nix/store/bbb-nixos-system-web",
      "/nix/store/ccc-nixos-system-db",
    ]);
  });

  test("nix copy is argv: ssh-ng target, substitutes on the destination, no shell", () => {
    expect(nixCopyArgv("nix@lab", ["/nix/store/aaa-x"])).toEqual([
      "nix",
      "--extra-experimental-features",
      "nix-command flakes",
      "copy",
      "--substitute-on-destination",
      "--to",
      "ssh-ng://nix@lab",
      "/nix/store/aaa-x",
    ]);
  });

  test("NIX_SSHOPTS: the environment's own, then the host's sshOptions; none when neither", () => {
    expect(nixSshOpts({ name: "lab", sshOptions: ["-p", "2222", "-i", "/k/lab"] }, "-v")).toBe(
      "-v -p 2222 -i /k/lab",
    );
    expect(nixSshOpts({ name: "lab", sshOptions: ["-p", "2222"] }, undefined)).toBe("-p 2222");
    expect(nixSshOpts({ name: "lab" }, "-v")).toBe("-v");
    expect(nixSshOpts({ name: "lab", sshOptions: [] }, undefined)).toBeUndefined();
    const error = noheadErrorOf(() =>
      nixSshOpts({ name: "lab", sshOptions: ["-i", "/my keys/lab"] }, undefined),
    );
    expect(error.kind).toBe("config");
    expect(error.message).toBe(
      'host lab: the ssh option "/my keys/lab" holds whitespace, which nix copy cannot pass on (Nix splits NIX_SSHOPTS at whitespace)',
    );
    expect(error.hint).toBe("use paths without spaces in sshOptions (a symlink to the key will do)");
  });

  test("hosts that need no copy get none", async () => {
    for (const closures of ["local", "agent-builds"] as const) {
      expect(await copyClosure({ name: "h", closures, sshTarget: undefined }, ["/nix/store/aaa-x"])).toEqual({
        host: "h",
        copied: [],
        durationMs: 0,
      });
    }
  });

  test("a nix-copy host without sshTarget is a config error", async () => {
    let error: unknown;
    try {
      await copyClosure({ name: "lab", closures: "nix-copy", sshTarget: undefined }, ["/nix/store/aaa-x"]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NoheadError);
    expect((error as NoheadError).kind).toBe("config");
    expect((error as NoheadError).message).toBe(
      "host lab copies closures with nix copy but has no sshTarget",
    );
  });

  test("a copy that fails (real nix copy, SSH refused) says what failed and what to check", async () => {
    const path = storePath();
    let error: unknown;
    try {
      await copyClosure({ name: "lab", closures: "nix-copy", sshTarget: "nobody@127.0.0.1" }, [path], {
        env: { ...process.env, NIX_SSHOPTS: "-p 1 -o BatchMode=yes -o ConnectTimeout=5" },
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NoheadError);
    const e = error as NoheadError;
    expect(e.kind).toBe("failed");
    expect(e.message).toStartWith(
      "copying 1 store path(s) to host lab (nobody@127.0.0.1) failed (nix copy exited 1):\n",
    );
    expect(e.message).toContain("Connection refused");
    expect(e.hint).toContain("`ssh nobody@127.0.0.1` works without a password");
  });
});
