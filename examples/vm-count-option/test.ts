/**
 * The vm-count-option example, tested: count makes hemisphere-1 and hemisphere-2, each machine
 * knows its identity, customArgs reach the init script, and count = 0 made no machine. Run it
 * in a project built from this example:
 *
 *   nohead test ./test.ts
 */
import { expect, test } from "bun:test";
import { machine, machines } from "nohead/test";

test("count = 2 made two hemispheres; count = 0 made no flat", () => {
  expect(machines().map((m) => m.name)).toEqual(["earth", "hemisphere-1", "hemisphere-2"]);
});

test.each([
  ["hemisphere-1", "hemisphere", "1"],
  ["hemisphere-2", "hemisphere", "2"],
  ["earth", "earth", "1"],
])("%s knows its name, type and index, and got the flake's greeting", async (name, base, index) => {
  const m = machine(name);
  await m.waitForFile("/home/nixy/greeting.txt");
  expect(await m.succeed("cat /home/nixy/machine_name.txt")).toBe(`${name}\n`);
  expect(await m.succeed("cat /home/nixy/machine_base_name.txt")).toBe(`${base}\n`);
  expect(await m.succeed("cat /home/nixy/machine_index.txt")).toBe(`${index}\n`);
  expect(await m.succeed("cat /home/nixy/machine_type.txt")).toBe("virtual\n");
  expect(await m.succeed("cat /home/nixy/greeting.txt")).toBe("Hello from the flake's customArgs\n");
});

test("jq is on the hemispheres only, bat on earth only", async () => {
  await machine("hemisphere-1").waitForFile("/home/nixy/bat-output.txt");
  expect(await machine("hemisphere-1").succeed("cat /home/nixy/jq-output.txt")).toBe("10\n");
  await machine("earth").waitForFile("/home/nixy/bat-output.txt");
  expect(await machine("earth").succeed("cat /home/nixy/bat-output.txt")).toBe("only on earth\n");
});
