import { expect, test } from "bun:test";
import { join } from "node:path";
import { noheadErrorOf } from "@nohead/schema/testing";
import { IDENTITY_PARAMS_MAX_BYTES, identityKernelParams } from "./identity-kernel-params.ts";

const network = { address: "10.213.0.11", prefixLength: 16, mac: "52:54:00:d5:00:0b" };

test("host name, the four MACHINE_* variables and the private address and MAC, in that order", () => {
  expect(identityKernelParams({ name: "web-2", baseName: "web", index: 2, network }, true)).toEqual([
    "systemd.hostname=web-2",
    "systemd.setenv=MACHINE_NAME=web-2",
    "systemd.setenv=MACHINE_BASE_NAME=web",
    "systemd.setenv=MACHINE_INDEX=2",
    "systemd.setenv=MACHINE_TYPE=virtual",
    "nohead.address=10.213.0.11/16",
    "nohead.mac=52:54:00:d5:00:0b",
  ]);
});

test("no private address without the private NIC, nor without a network in the manifest", () => {
  const withoutNic = identityKernelParams({ name: "db", baseName: "db", index: 1, network }, false);
  const withoutNetwork = identityKernelParams({ name: "db", baseName: "db", index: 1, network: null }, true);
  expect(withoutNic).toEqual(withoutNetwork);
  expect(withoutNic.some((p) => p.startsWith("nohead."))).toBe(false);
});

test("the host name drops '_' (systemd ignores a systemd.hostname= holding one); MACHINE_NAME keeps it", () => {
  const params = identityKernelParams({ name: "my_vm-1", baseName: "my_vm", index: 1, network: null }, false);
  expect(params[0]).toBe("systemd.hostname=myvm-1");
  expect(params[1]).toBe("systemd.setenv=MACHINE_NAME=my_vm-1");
});

test("a value that could split or extend the command line is refused, naming the machine", () => {
  const error = noheadErrorOf(() =>
    identityKernelParams({ name: "web 2 init=/bin/sh", baseName: "web", index: 2, network: null }, false),
  );
  expect(error.kind).toBe("config");
  expect(error.machine).toBe("web 2 init=/bin/sh");
  expect(error.message).toBe(
    'its identity cannot be a kernel parameter: "systemd.hostname=web 2 init=/bin/sh"',
  );
});

test("nix/lib/identity.nix computes the same list (the launchers in a build result use it)", () => {
  const machines = [
    { name: "web-2", baseName: "web", index: 2, network },
    { name: "my_vm", baseName: "my_vm", index: 1, network: null },
    { name: "db", baseName: "db", index: 1, network },
  ];
  const cases = machines.flatMap((machine) =>
    [true, false].map((privateNetwork) => ({ machine, privateNetwork })),
  );
  const lib = join(import.meta.dir, "../../../nix/lib");
  const evaluated = Bun.spawnSync([
    "nix-instantiate",
    "--eval",
    "--strict",
    "--json",
    "--arg",
    "cases",
    `builtins.fromJSON ''${JSON.stringify(cases)}''`,
    "-E",
    `{ cases }: map (c: (import ${lib}).identity.identityKernelParams c.machine c.privateNetwork) cases`,
  ]);
  expect(evaluated.stderr.toString()).toBe("");
  expect(JSON.parse(evaluated.stdout.toString())).toEqual(
    cases.map(({ machine, privateNetwork }) => identityKernelParams(machine, privateNetwork)),
  );
});

test("the identity fits the kernel command line: a 63-character name does, a longer list is refused", () => {
  const longest = `${"a".repeat(61)}-9`;
  const params = identityKernelParams({ name: longest, baseName: "a".repeat(61), index: 9, network }, true);
  expect(Buffer.byteLength(params.join(" "))).toBeLessThanOrEqual(IDENTITY_PARAMS_MAX_BYTES);
  // Past the manifest's schema (a name of 200 characters): refused, never cut by the kernel.
  const error = noheadErrorOf(() =>
    identityKernelParams({ name: "b".repeat(200), baseName: "b".repeat(200), index: 1, network }, true),
  );
  expect(error.kind).toBe("config");
  expect(error.machine).toBe("b".repeat(200));
  expect(error.message).toMatch(
    /^its identity takes \d+ bytes of the kernel command line, over the 512 it may/,
  );
});
