/**
 * A process that hosts a supervising fleet, as the supervisor does: `bun supervising-process.ts
 * <projectDir>` starts every machine of the project's build, prints one JSON line with the start
 * results, then keeps watching until it is killed. Tests SIGKILL it to play a supervisor's death.
 */
import { Fleet } from "@nohead/supervisor";

const [projectDir] = process.argv.slice(2);
if (!projectDir) throw new Error("usage: supervising-process.ts <projectDir>");
const fleet = Fleet.open({ cwd: projectDir, supervise: true });
const results = await fleet.start(undefined);
process.stdout.write(
  `${JSON.stringify(results.map((r) => ({ machine: r.machine, ok: r.ok, failure: r.error })))}\n`,
);
// The watchers' workers keep this process alive.
