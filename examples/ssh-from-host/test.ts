/**
 * The ssh-from-host example, tested: every machine listens for SSH, fixed host ports are where
 * configs.nix puts them, and each machine has its own login name and tools. Run it in a project
 * built from this example:
 *
 *   nohead test ./test.ts
 */
import { expect, test } from "bun:test";
import { fleet, machine, machines } from "nohead/test";

test("every machine listens for SSH", async () => {
  for (const m of machines()) await m.waitForOpenPort(22);
});

test("fixed host SSH ports follow firstHostSshPort; owl's is chosen at run time", () => {
  const sshPort = (name: string) =>
    fleet.status([name])[0]?.forwards.find((f) => f.guestPort === 22)?.hostPort;
  expect(sshPort("bird")).toBe(2220);
  expect(sshPort("turtle-1")).toBe(2221);
  expect(sshPort("turtle-2")).toBe(2222);
  expect(sshPort("fish")).toBe(2223);
  expect(sshPort("owl")).toBeGreaterThan(0);
});

test("fish logs in as fish; the others as nixy", async () => {
  await machine("fish").succeed("id fish");
  await machine("bird").succeed("id nixy");
});

test("each type has its own packages", async () => {
  expect(await machine("bird").succeed("echo '{\"a\": 1}' | jq .a")).toBe("1\n");
  await machine("turtle-2").succeed("command -v bat");
  await machine("bird").fail("command -v bat");
});
