import { rmSync } from "node:fs";
import { Fleet, vmPaths } from "@nohead/supervisor";
import { makeFixtureFleet } from "../../../tests/support/fixture-fleet.ts";
import { describeHostConformance } from "./host-conformance.ts";
import { LocalHost } from "./local-host.ts";

describeHostConformance("LocalHost", async () => {
  const fixture = await makeFixtureFleet(`{ ... }: { web = { count = 2; }; }`);
  const fleet = Fleet.open({ cwd: fixture.projectDir });
  return {
    host: new LocalHost(fleet),
    machines: fixture.manifest.machines,
    vmStateDir: (name) => vmPaths(fleet.project, name).dir,
    cleanup: async () => rmSync(fixture.projectDir, { recursive: true, force: true }),
  };
});
