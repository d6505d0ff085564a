/**
 * `nohead/test`: what test files run by `nohead test` import. The fleet under test, its machines,
 * and the Machine API (docs/testing-api.md).
 *
 * @example
 * import { expect, test } from "bun:test";
 * import { machine } from "nohead/test";
 *
 * test("the client reaches the server", async () => {
 *   await machine("server").waitForOpenPort(80);
 *   expect(await machine("client").succeed("curl -sf http://server/")).toContain("hello");
 * });
 */
import { Fleet } from "@nohead/supervisor/fleet";
import { Machine } from "./machine.ts";
import { testSessionOf } from "./test-session.ts";

export { type CommandResult, type Deadline, Machine, type MachineOptions } from "./machine.ts";
export { MachineError, type MachineFailure } from "./machine-error.ts";

/** The fleet under test (the project and build result `nohead test` was given). */
export const fleet: Fleet = Fleet.open(testSessionOf(process.env));

const cache = new Map<string, Machine>();

/**
 * The machine `name` of the fleet; fails when the build has no such machine, listing those it has.
 *
 * @example
 * const server = machine("server");
 */
export function machine(name: string): Machine {
  let found = cache.get(name);
  if (!found) {
    fleet.machine(name);
    found = new Machine(fleet, name);
    cache.set(name, found);
  }
  return found;
}

/** Every machine of the build, in the build's order. */
export function machines(): Machine[] {
  return fleet.manifest.machines.map((m) => machine(m.name));
}
