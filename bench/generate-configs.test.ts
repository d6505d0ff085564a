import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PlannedMachine } from "@nohead/schema";
import { z } from "zod";
import { CLI } from "../tests/support/run-cli.ts";
import { generateConfigs } from "./generate-configs.ts";

describe("generateConfigs", () => {
  test("is deterministic for a seed and differs between seeds", () => {
    expect(generateConfigs(30).text).toBe(generateConfigs(30).text);
    expect(generateConfigs(30, 2).text).not.toBe(generateConfigs(30).text);
  });

  test("refuses a type count out of range", () => {
    expect(() => generateConfigs(0)).toThrow("Expected types to be an integer from 1 to 2000, got 0");
  });

  test("nohead plan accepts it and lists exactly the announced machines", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nohead-genconfigs-"));
    try {
      const { text, machines } = generateConfigs(60);
      writeFileSync(join(dir, "configs.nix"), text);
      const child = Bun.spawn(["bun", CLI, "plan", "-f", "configs.nix", "--json"], {
        cwd: dir,
        env: { ...process.env, NO_COLOR: "1" },
        stdout: "pipe",
        stderr: "pipe",
      });
      const [stdout, stderr, code] = await Promise.all([
        new Response(child.stdout).text(),
        new Response(child.stderr).text(),
        child.exited,
      ]);
      expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
      const plan = z.object({ machines: z.array(PlannedMachine) }).parse(JSON.parse(stdout));
      expect(plan.machines.length).toBe(machines);
      const names = new Set(plan.machines.map((m) => m.name));
      expect(names.size).toBe(machines);
      for (const machine of plan.machines) {
        for (const dep of machine.dependsOn) expect(names.has(dep)).toBe(true);
      }
      // The variety the benchmark relies on is really there.
      expect(plan.machines.some((m) => m.dependsOn.length > 0)).toBe(true);
      expect(plan.machines.some((m) => m.forwards.some((f) => f.protocol === "udp"))).toBe(true);
      expect(plan.machines.some((m) => m.forwards.some((f) => f.name === "ssh" && f.hostPort !== null))).toBe(
        true,
      );
      expect(new Set(plan.machines.map((m) => m.baseName)).size).toBe(60);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
