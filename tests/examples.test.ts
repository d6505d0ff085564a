/** Every example plans with `nohead plan` (real Nix, no nixpkgs) and says what it shows. */
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PlannedMachine } from "@nohead/schema";
import { z } from "zod";
import { REPO_ROOT, runCli } from "./support/run-cli.ts";

const EXAMPLES = readdirSync(join(REPO_ROOT, "examples")).sort();
const REQUIRED = [
  "vm-count-option",
  "ssh-from-host",
  "shared-dir",
  "copy-to-home",
  "disk-images",
  "python",
  "server-client",
];

describe("examples", () => {
  test("every example the feature list names is there", () => {
    for (const name of REQUIRED) expect(EXAMPLES).toContain(name);
  });

  test.each(EXAMPLES)("%s plans, and its README's first line says what it shows", async (name) => {
    const dir = join(REPO_ROOT, "examples", name);
    const readme = readFileSync(join(dir, "README.md"), "utf8").split("\n")[0] ?? "";
    expect(readme.replace(/^#\s*/, "").length).toBeGreaterThan(10);
    const { exitCode, stdout, stderr } = await runCli(["plan", "-f", join(dir, "configs.nix"), "--json"]);
    expect(stderr).toBe("");
    expect(exitCode).toBe(0);
    const { machines } = z.strictObject({ machines: z.array(PlannedMachine) }).parse(JSON.parse(stdout));
    expect(machines.length).toBeGreaterThan(0);
    for (const m of machines) expect(m.name.startsWith(m.baseName)).toBe(true);
  });

  test("vm-count-option expands count with customArgs from custom-args.nix", async () => {
    const dir = join(REPO_ROOT, "examples/vm-count-option");
    expect(existsSync(join(dir, "custom-args.nix"))).toBe(true);
    const { stdout } = await runCli(["plan", "-f", join(dir, "configs.nix"), "--json"]);
    const names = JSON.parse(stdout).machines.map((m: { name: string }) => m.name);
    expect(names).toContain("hemisphere-1");
    expect(names).toContain("hemisphere-2");
  });

  test("server-client needs no Tailscale: the client depends on the server and reaches it by name", async () => {
    const { stdout } = await runCli([
      "plan",
      "-f",
      join(REPO_ROOT, "examples/server-client/configs.nix"),
      "--json",
    ]);
    const machines = JSON.parse(stdout).machines as z.infer<typeof PlannedMachine>[];
    const client = machines.find((m) => m.baseName.includes("client"));
    const server = machines.find((m) => m.baseName.includes("server"));
    expect(client?.dependsOn).toContain(server?.name ?? "server");
    expect(machines.every((m) => m.network !== null && m.secrets.length === 0)).toBe(true);
  });
});
