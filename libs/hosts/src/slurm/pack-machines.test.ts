import { describe, expect, test } from "bun:test";
import { sampleMachine } from "@nohead/schema/testing/sample-machine";
import { AGENT_MEMORY_MIB, packMachines, QEMU_OVERHEAD_MIB } from "./pack-machines.ts";

const m = (name: string, cores = 1, memoryMiB = 1024, dependsOn: string[] = []) =>
  sampleMachine({ name, dependsOn, resources: { cores, memoryMiB } });
const names = (jobs: ReturnType<typeof packMachines>) => jobs.map((j) => j.machines.map((x) => x.name));

describe("packing machines into pilot jobs", () => {
  test("machines fill a job up to maxCoresPerJob; each job asks for the sum plus overheads", () => {
    const jobs = packMachines([m("a"), m("b"), m("c", 2, 2048)], { maxCoresPerJob: 3 });
    expect(names(jobs)).toEqual([["a", "c"], ["b"]]);
    expect(jobs.map((j) => [j.cores, j.memoryMiB])).toEqual([
      [3, AGENT_MEMORY_MIB + 1024 + 2048 + 2 * QEMU_OVERHEAD_MIB],
      [1, AGENT_MEMORY_MIB + 1024 + QEMU_OVERHEAD_MIB],
    ]);
  });

  test("a machine without resources counts 1 core and 1024 MiB", () => {
    const [job] = packMachines([sampleMachine({ name: "x" })], { maxCoresPerJob: 16 });
    expect([job?.cores, job?.memoryMiB]).toEqual([1, AGENT_MEMORY_MIB + 1024 + QEMU_OVERHEAD_MIB]);
  });

  test("a machine and its dependencies share a job, even beyond maxCoresPerJob", () => {
    const jobs = packMachines(
      [m("db", 2), m("web", 2, 1024, ["db"]), m("cache", 1), m("client", 1, 1024, ["web"])],
      {
        maxCoresPerJob: 2,
      },
    );
    expect(names(jobs)).toEqual([["db", "web", "client"], ["cache"]]);
    expect(jobs[0]?.cores).toBe(5);
  });

  test("nothing to place: no job", () => {
    expect(packMachines([], { maxCoresPerJob: 4 })).toEqual([]);
  });
});
