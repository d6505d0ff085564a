/**
 * The README's main job on a machine without nixpkgs: boots a small fleet of real VMs through the
 * real nohead runtime, shows them, uses them, and stops them.
 *
 * What it is, plainly: nixpkgs cannot be fetched here, so the VMs are the test fixture (a Debian
 * cloud kernel with a busybox initramfs, dropbear and qemu-guest-agent) instead of NixOS. The plan
 * and the manifest still come from nix/lib evaluated by the real Nix, and everything after that —
 * runall, status, ssh, exec, the private network, stopall — is exactly what users run.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureFixture } from "../tests/fixture/build-fixture.ts";
import { makeFixtureFleet } from "../tests/support/fixture-fleet.ts";

const CLI = join(import.meta.dir, "../apps/cli/src/main.ts");
const CONFIGS = `{ ... }: {
  db = { forwardPorts = [ { name = "http"; guestPort = 8080; } ]; health.tcp = [ 8080 ]; };
  web = { count = 2; dependsOn = [ "db" ]; init.script = "echo hello from $MACHINE_NAME"; };
}`;

async function step(title: string, args: string[], cwd: string): Promise<number> {
  console.log(`\n\x1b[1m$ nohead ${args.join(" ")}\x1b[0m   # ${title}`);
  const child = Bun.spawn(["bun", CLI, ...args], { cwd, stdio: ["ignore", "inherit", "inherit"] });
  return child.exited;
}

console.log("nohead demo: 3 fixture VMs (Debian kernel + busybox, not NixOS: there is no nixpkgs here),");
console.log("planned by nix/lib, started and stopped by the real nohead runtime under QEMU (TCG).\n");
const fixture = await ensureFixture();
console.log(`fixture: ${fixture.dir}`);
const projectDir = mkdtempSync(join(tmpdir(), "nohead-demo-"));
await makeFixtureFleet(CONFIGS, { projectDir });
console.log(`project: ${projectDir} (configs.nix + result/nohead-manifest.json)`);

let failed = 0;
const must = async (title: string, args: string[]) => {
  const code = await step(title, args, projectDir);
  if (code !== 0) {
    failed++;
    console.log(`\x1b[31m→ exit ${code}\x1b[0m`);
  }
};
try {
  await must("the plan, from nix/lib (no build)", ["plan"]);
  await must("start all, dependencies first; returns when every VM is ready", ["runall", "-n"]);
  await must("what runs, with ports and readiness", ["status"]);
  await must("the old one-name-per-line list", ["list"]);
  await must("a command through the guest agent, over the private network by name", [
    "exec",
    "web-1",
    "--",
    "ping",
    "-c",
    "1",
    "db",
  ]);
  await must("real OpenSSH with the project's key", ["ssh", "web-2", "cat", "/run/nohead/init-status"]);
} finally {
  await must("graceful stop of every VM of this project", ["stopall"]);
  await must("all stopped", ["status"]);
}
console.log(failed === 0 ? "\ndemo: every step succeeded" : `\ndemo: ${failed} step(s) failed`);
process.exit(failed === 0 ? 0 : 1);
