import { describe, expect, test } from "bun:test";
import type { ManifestMachine } from "@nohead/schema";
import { placeMachines } from "./place-machines.ts";
import { noheadErrorOf } from "@nohead/schema/testing";

const m = (name: string, host: string | null, dependsOn: string[] = []) =>
  ({ name, host, dependsOn }) as unknown as ManifestMachine;

describe("placing machines on hosts", () => {
  const known = new Set(["lab", "ci"]);

  test("by each machine's host option; null is this computer", () => {
    const placed = placeMachines([m("db", null), m("web-1", "lab"), m("web-2", "lab"), m("t", "ci")], {
      known,
    });
    expect([...placed.entries()].map(([h, ms]) => [h, ms.map((x) => x.name)])).toEqual([
      ["local", ["db"]],
      ["lab", ["web-1", "web-2"]],
      ["ci", ["t"]],
    ]);
  });

  test("--host puts every machine on one host", () => {
    const placed = placeMachines([m("db", null), m("web", "ci", ["db"])], { known, override: "lab" });
    expect([...placed.keys()]).toEqual(["lab"]);
  });

  test("an undeclared host is a config error listing the declared ones", () => {
    const error = noheadErrorOf(() => placeMachines([m("web", "nowhere")], { known }));
    expect(error.kind).toBe("config");
    expect(error.message).toBe('web is placed on host "nowhere", which the hosts file does not declare');
    expect(error.hint).toBe("declared hosts: ci, lab (docs/hosts.md)");
  });

  test("a dependency on another host is refused", () => {
    const error = noheadErrorOf(() => placeMachines([m("db", null), m("web", "lab", ["db"])], { known }));
    expect(error.message).toBe(
      "web (on lab) depends on db (on local): a machine and its dependencies must run on one host",
    );
  });
});
