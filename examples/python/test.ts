/**
 * The python example, tested for its two offline machines: plain Python and numpy from nixpkgs.
 * (python-fhs installs from PyPI on its first boot, which needs the network.) The fleet starts
 * whole, so python-fhs's shared directory must exist. Run it in a project built from this
 * example:
 *
 *   mkdir -p /tmp/nohead-shared/python-venv && nohead test ./test.ts
 */
import { expect, test } from "bun:test";
import { machine } from "nohead/test";

test("python-plain runs a standard-library script", async () => {
  const m = machine("python-plain");
  await m.waitForUnit("script-at-boot.service");
  await m.waitUntilSucceeds("test -s /home/nixy/hello-output.txt");
  expect(await m.succeed("cat /home/nixy/hello-output.txt")).toMatch(
    /^Hello from python-plain, Python 3\.\d+\.\d+$/m,
  );
});

test("python-nix imports numpy from nixpkgs", async () => {
  const m = machine("python-nix");
  await m.waitUntilSucceeds("grep -q mean= /home/nixy/stats-output.txt");
  const output = await m.succeed("cat /home/nixy/stats-output.txt");
  expect(output).toMatch(/^python-nix: numpy \d+\.\d+/m);
  expect(output).toMatch(/mean=(9\.9|10\.0)\d* std=(1\.9|2\.0)\d*/);
});
