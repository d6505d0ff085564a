/** The TypeScript names of the guest contract are the ones nix/modules/guest-contract.nix gives the guest. */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { GUEST_CONTRACT } from "./guest-contract.ts";

test("guest-contract.ts and guest-contract.nix hold the same names and values", () => {
  const file = join(import.meta.dir, "../../../nix/modules/guest-contract.nix");
  const evaluated = Bun.spawnSync(["nix-instantiate", "--eval", "--strict", "--json", file], {
    stdout: "pipe",
    stderr: "pipe",
  });
  expect(evaluated.stderr.toString()).toBe("");
  expect(JSON.parse(evaluated.stdout.toString())).toEqual({ ...GUEST_CONTRACT });
});
