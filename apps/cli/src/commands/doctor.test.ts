/**
 * `nohead doctor`: the real checks on this machine (real QEMU, Nix, OpenSSH, statfs, HTTP), each
 * failing path forced by what the user could get wrong: a PATH without programs, a device node that
 * is not there, a runtime directory too long or open to others, a hosts file that is broken or names
 * an agent that does not answer, a KVM guest that prints nothing before the probe's deadline.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { serveAgent } from "@nohead/agent";
import { generateToken } from "@nohead/hosts";
import { z } from "zod";
import { diskCheck } from "../doctor/disk-check.ts";
import { hostKernel } from "../doctor/guest-probe.ts";
import { FORCE_TCG } from "../doctor/kvm-check.ts";
import { QEMU_BINARY } from "../doctor/qemu-check.ts";
import { CLI, REPO_ROOT } from "../../../../tests/support/run-cli.ts";
import { testTempDir } from "../../../../tests/support/temp-dir.ts";

const DoctorOutput = z.strictObject({
  ok: z.boolean(),
  checks: z.array(
    z.strictObject({
      name: z.string().min(1),
      status: z.enum(["ok", "warn", "fail"]),
      detail: z.string().min(1),
      fix: z.string().min(1).nullable(),
    }),
  ),
});
type Check = z.infer<typeof DoctorOutput>["checks"][number];

/** A project dir, its own config home (no user hosts file), nixpkgs given, no KVM probe. */
function setting(env: Record<string, string> = {}) {
  const project = testTempDir("nohead-doctor-");
  return {
    project,
    env: {
      XDG_CONFIG_HOME: join(project, "config"),
      NOHEAD_NIXPKGS: join(REPO_ROOT, "tests/fixtures/stub-nixpkgs"),
      NOHEAD_KVM_DEVICE: join(project, "no-kvm"),
      NIX_CONFIG: "download-attempts = 1\nsubstituters =",
      ...env,
    },
  };
}

async function doctor({ project, env }: ReturnType<typeof setting>, args = ["--json"]) {
  const child = Bun.spawn([process.execPath, CLI, "doctor", ...args], {
    cwd: project,
    env: { ...process.env, NO_COLOR: "1", ...env },
    stdout: "pipe",
    stderr: "pipe",
    timeout: 60_000,
  });
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  const checks = args.includes("--json") ? DoctorOutput.parse(JSON.parse(stdout)).checks : [];
  const named = (name: string): Check => {
    const found = checks.find((c) => c.name === name);
    if (!found) throw new Error(`no check named ${name} in ${stdout}`);
    return found;
  };
  return { exitCode, stdout, stderr, checks, named };
}

/** A PATH holding only `programs` (links to the real ones). */
function pathWith(programs: string[]): string {
  const bin = testTempDir("nohead-doctor-bin-");
  for (const program of programs) {
    const real = Bun.which(program);
    if (real) symlinkSync(real, join(bin, program));
  }
  return bin;
}

describe("nohead doctor", () => {
  test("--json: one entry per check with status, detail and fix; exit 0 when nothing fails", async () => {
    const result = await doctor(setting());
    expect(result.stderr).toBe("");
    expect(result.checks.map((c) => c.name)).toEqual([
      "kvm",
      "qemu",
      "nix",
      "nixpkgs",
      "runtime dir",
      "ssh",
      "disk",
      "hosts",
    ]);
    for (const check of result.checks) expect(check.fix === null).toBe(check.status === "ok");
    expect(result.named("nix")).toMatchObject({ status: "ok" });
    expect(result.named("nix").detail).toMatch(/^Nix \d+\.\d+/);
    expect(result.named("qemu").detail).toStartWith(`${QEMU_BINARY} `);
    expect(result.named("nixpkgs")).toMatchObject({ status: "ok" });
    expect(result.named("nixpkgs").detail).toContain("(from NOHEAD_NIXPKGS)");
    expect(result.named("ssh").detail).toStartWith("OpenSSH");
    expect(result.named("hosts")).toMatchObject({ status: "ok" });
    const failed = result.checks.some((c) => c.status === "fail");
    expect(result.exitCode).toBe(failed ? 1 : 0);
    expect(JSON.parse(result.stdout).ok).toBe(!failed);
  });

  test("the table: one line per check, the fix under each that is not ok", async () => {
    const { stdout } = await doctor(setting(), []);
    const lines = stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^warn {2}kvm {10}.*no-kvm does not exist: VMs run under TCG/);
    expect(lines[1]).toMatch(/^ {19}fix: enable virtualisation/);
    expect(lines.find((l) => /^ok {4}nix /.test(l))).toBeDefined();
  });

  test("a missing KVM device node (NOHEAD_KVM_DEVICE) warns: QEMU falls back to TCG", async () => {
    const s = setting();
    const kvm = (await doctor(s)).named("kvm");
    expect(kvm.status).toBe("warn");
    expect(kvm.detail).toBe(
      `${s.env.NOHEAD_KVM_DEVICE} does not exist: VMs run under TCG (emulation, several times slower)`,
    );
    expect(kvm.fix).toContain("kvm_intel or kvm_amd");
  });

  const canProbe = existsSync("/dev/kvm") && hostKernel() !== undefined && Bun.which(QEMU_BINARY) !== null;
  test.skipIf(!canProbe)(
    "a guest that prints nothing under KVM before the deadline (and runs under TCG) fails with how to force TCG",
    async () => {
      const kvm = (await doctor(setting({ NOHEAD_KVM_DEVICE: "/dev/kvm", NOHEAD_KVM_PROBE_MS: "1" }))).named(
        "kvm",
      );
      expect(kvm.status).toBe("fail");
      expect(kvm.detail).toMatch(
        /^\/dev\/kvm opens but guests hang under KVM: a guest kernel printed nothing in 0\.0 s under KVM, and ran in [\d.]+ s under TCG/,
      );
      expect(kvm.fix).toBe(FORCE_TCG);
      // The probe's QEMU is gone: nothing of it is left running.
      const left = Bun.spawnSync(["pgrep", "-f", "accel=kvm -nodefaults"]).stdout.toString().trim();
      expect(left).toBe("");
    },
  );

  test("a PATH without qemu, nix and ssh: qemu and ssh warn, nix fails, exit 1", async () => {
    const result = await doctor(setting({ PATH: pathWith([]) }));
    expect(result.named("qemu").status).toBe("warn");
    expect(result.named("qemu").detail).toStartWith(`${QEMU_BINARY} is not on PATH`);
    expect(result.named("nix")).toEqual({
      name: "nix",
      status: "fail",
      detail: "nix is not on PATH: nohead plans and builds with it",
      fix: "install Nix: https://nixos.org/download",
    });
    expect(result.named("ssh").status).toBe("warn");
    expect(result.exitCode).toBe(1);
  });

  test("nix-command and flakes off in the user's configuration: a warning with the nix.conf line", async () => {
    const nix = (await doctor(setting({ NIX_CONFIG: "experimental-features =" }))).named("nix");
    expect(nix.status).toBe("warn");
    expect(nix.detail).toMatch(/; not enabled: nix-command, flakes$/);
    expect(nix.fix).toContain("experimental-features = nix-command flakes");
  });

  test("no nixpkgs for build -f: a warning that says what was looked for", async () => {
    const nixpkgs = (await doctor(setting({ NOHEAD_NIXPKGS: "./missing" }))).named("nixpkgs");
    expect(nixpkgs.status).toBe("warn");
    expect(nixpkgs.detail).toStartWith("nixpkgs from NOHEAD_NIXPKGS (./missing) does not exist");
  });

  test("a runtime directory whose socket paths are too long, or open to others, fails", async () => {
    const long = join(testTempDir("nohead-doctor-xdg-"), "x".repeat(80));
    const tooLong = (await doctor(setting({ XDG_RUNTIME_DIR: long }))).named("runtime dir");
    expect(tooLong.status).toBe("fail");
    expect(tooLong.detail).toMatch(
      /socket paths would be \d+ bytes, over the 107-byte limit of Unix sockets$/,
    );
    expect(tooLong.fix).toContain("XDG_RUNTIME_DIR");

    const open = testTempDir("nohead-doctor-xdg-");
    mkdirSync(join(open, "nohead"), { mode: 0o777 });
    Bun.spawnSync(["chmod", "777", join(open, "nohead")]);
    const shared = (await doctor(setting({ XDG_RUNTIME_DIR: open }))).named("runtime dir");
    expect(shared).toMatchObject({
      status: "fail",
      detail: `${join(open, "nohead")} is open to other users (mode 777)`,
    });
  });

  test("a hosts file that is not valid fails; a host whose agent does not answer fails, naming it", async () => {
    const broken = setting();
    mkdirSync(join(broken.project, ".nohead"));
    writeFileSync(join(broken.project, ".nohead/hosts.json"), "{ not json");
    const invalid = await doctor(broken);
    expect(invalid.named("hosts")).toMatchObject({
      status: "fail",
      detail: `${join(broken.project, ".nohead/hosts.json")} is not valid JSON`,
    });
    expect(invalid.exitCode).toBe(1);

    const s = setting();
    mkdirSync(join(s.project, ".nohead"));
    const closed = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = closed.port;
    closed.stop(true);
    writeFileSync(
      join(s.project, ".nohead/hosts.json"),
      JSON.stringify({
        hosts: { lab: { url: `http://127.0.0.1:${port}`, tokenFile: "lab.token", closures: "agent-builds" } },
      }),
    );
    const result = await doctor(s);
    const lab = result.named("host lab");
    expect(lab.status).toBe("fail");
    expect(lab.detail).toStartWith(`the agent at http://127.0.0.1:${port} is unreachable: `);
    expect(lab.fix).toContain(join(s.project, ".nohead/hosts.json"));
    expect(result.exitCode).toBe(1);
  });
});

describe("nohead doctor and a real agent", () => {
  test("an agent that answers: ok with its version once its token file is usable, fail before", async () => {
    const s = setting();
    const agent = serveAgent({
      listen: "127.0.0.1:0",
      token: generateToken(),
      stateDir: join(s.project, "agent"),
    });
    try {
      mkdirSync(join(s.project, ".nohead"));
      const hostsFile = join(s.project, ".nohead/hosts.json");
      writeFileSync(
        hostsFile,
        JSON.stringify({
          hosts: { lab: { url: agent.url, tokenFile: "lab.token", closures: "agent-builds" } },
        }),
      );
      const missing = (await doctor(s)).named("host lab");
      expect(missing).toMatchObject({
        status: "fail",
        detail: `${agent.url} answers, but the token file ${join(s.project, ".nohead/lab.token")} does not exist`,
        fix: "create one with `nohead agent token --file <path>`",
      });
      writeFileSync(join(s.project, ".nohead/lab.token"), `${generateToken()}\n`, { mode: 0o600 });
      const result = await doctor(s);
      expect(result.named("host lab")).toEqual({
        name: "host lab",
        status: "ok",
        detail: expect.stringMatching(new RegExp(`^agent \\S+ at ${agent.url}$`)),
        fix: null,
      });
    } finally {
      await agent.stop();
    }
  });
});

describe("diskCheck", () => {
  test("free space under the thresholds warns, then fails (real statfs)", () => {
    const dir = testTempDir("nohead-doctor-disk-");
    expect(diskCheck(dir).status).not.toBe("fail");
    expect(diskCheck(dir, { warnBytes: 2 ** 60, failBytes: 0 }).status).toBe("warn");
    const full = diskCheck(dir, { warnBytes: 2 ** 60, failBytes: 2 ** 60 });
    expect(full.status).toBe("fail");
    expect(full.detail).toMatch(new RegExp(`^\\d+\\.\\d GiB free under ${dir}: VM disks will not fit$`));
    expect(full.fix).toContain("nohead destroy");
  });
});
