/**
 * The disk-images example, tested on its VMs (the images themselves are files, checked by
 * `nohead build --images`): VM-only options reach the VMs, and count = 2 made two raw VMs.
 * Run it in a project built from this example:
 *
 *   nohead test ./test.ts
 */
import { expect, test } from "bun:test";
import { machine, machines } from "nohead/test";

test("the build has qcow, raw-1, raw-2 and vm-only", () => {
  expect(machines().map((m) => m.name)).toEqual(["qcow", "raw-1", "raw-2", "vm-only"]);
});

test("qcow has nixos-config's and nixos-config-virt's packages and variables", async () => {
  const qcow = machine("qcow");
  await qcow.succeed("command -v cowsay && command -v lolcat");
  expect(await qcow.succeed("bash -lc 'echo $ONLY_IN_VM'")).toBe("set in nixos-config-virt\n");
});

test("each raw VM records its own identity", async () => {
  for (const [name, index] of [
    ["raw-1", "1"],
    ["raw-2", "2"],
  ] as const) {
    const raw = machine(name);
    await raw.waitUntilSucceeds("test -s /home/nixy/machine.txt");
    const env = await raw.succeed("cat /home/nixy/machine.txt");
    expect(env).toContain(`MACHINE_NAME=${name}\n`);
    expect(env).toContain(`MACHINE_INDEX=${index}\n`);
    expect(env).toContain("MACHINE_TYPE=virtual\n");
  }
});
