/**
 * What a start request may ask of the agent's host, against a real agent over HTTP: extra QEMU
 * arguments only from the harmless list (`-monitor unix:…` was a shell), forwards only on the
 * addresses the operator allows (0.0.0.0 exposed guest ports on every interface), no directory
 * or saved definition left by a start that failed before anything ran, and a cap on machines.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ManifestMachine } from "@nohead/schema";
import { addToStore } from "../../../tests/support/fixture-in-store.ts";
import { testTempDir } from "../../../tests/support/temp-dir.ts";
import { type RunningAgent, type ServeAgentOptions, serveAgent } from "./serve.ts";
import { qemuArgsProblems } from "@nohead/hosts";
import { sampleMachine } from "@nohead/schema/testing/sample-machine";

const TOKEN = "limits-token-0123456789-abcdefghijklmno";
const runnerDir = join(testTempDir("nohead-limits-"), "run-web-vm");
mkdirSync(join(runnerDir, "bin"), { recursive: true });
writeFileSync(join(runnerDir, "bin", "run"), "#!/bin/sh\nexit 1\n");
chmodSync(join(runnerDir, "bin", "run"), 0o755);
const storeObject = await addToStore(runnerDir);

const agents: RunningAgent[] = [];
afterAll(async () => {
  for (const agent of agents) await agent.stop();
});

function agentWith(options: ServeAgentOptions = {}): RunningAgent {
  const agent = serveAgent({
    listen: "127.0.0.1:0",
    token: TOKEN,
    stateDir: testTempDir("nohead-limits-agent-"),
    ...options,
  });
  agents.push(agent);
  return agent;
}

function machine(name: string, overrides: Partial<ManifestMachine> = {}): ManifestMachine {
  return sampleMachine({
    name,
    baseName: name,
    runner: `${storeObject}/bin/run`,
    system: storeObject,
    ...overrides,
  });
}

async function start(agent: RunningAgent, body: unknown) {
  const res = await fetch(`${agent.url}/v1/vms/start`, {
    method: "POST",
    headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    body: (await res.json()) as {
      error?: { kind: string; message: string; issues?: { path: string; message: string }[] };
      machines?: { machine: string; ok: boolean; pid: number | null }[];
    },
  };
}

describe("--allow-qemu-args takes the harmless options only", () => {
  test('-monitor unix:… (then `migrate "exec:…"`: a shell) is refused, and nothing starts', async () => {
    const agent = agentWith({ allowQemuArgs: true });
    const { status, body } = await start(agent, {
      machines: [machine("web")],
      qemuArgs: ["-m", "1G", "-monitor", `unix:${agent.stateDir}/monitor,server=on,wait=off`],
    });
    expect(status).toBe(400);
    expect(body.error?.issues?.map((i) => i.path)).toEqual(["qemuArgs.2"]);
    expect(body.error?.issues?.[0]?.message).toStartWith('"-monitor" is not an accepted QEMU option');
    expect(readdirSync(agent.stateDir)).toEqual([]);
  });

  test("every dangerous form is refused; sizing options pass", () => {
    const refused: string[][] = [
      ["-monitor", "stdio"],
      ["--monitor", "stdio"],
      ["-qmp", "tcp:0.0.0.0:4444,server"],
      ["-chardev", "file,id=c,path=/root/.bashrc"],
      ["-serial", "file:/etc/cron.d/x"],
      ["-drive", "file=/etc/shadow,format=raw"],
      ["-incoming", "exec:sh -c id"],
      ["-fw_cfg", "name=opt/x,file=/etc/shadow"],
      ["-object", "memory-backend-file,id=m,mem-path=/etc/passwd"],
      ["-device", "virtio-serial-pci,chardev=c"],
      ["-m", "512,slots=2,maxmem=4G"],
      ["-cpu", "max;id"],
      ["/etc/shadow"],
      ["-smp"],
    ];
    for (const args of refused) expect([args, qemuArgsProblems(args).length]).toEqual([args, 1]);
    expect(
      qemuArgsProblems([
        "-m",
        "4G",
        "-smp",
        "cpus=4,cores=2",
        "-cpu",
        "max,+avx2,-svm",
        "-accel",
        "tcg,thread=multi",
        "-enable-kvm",
        "-snapshot",
        "-rtc",
        "base=localtime",
        "-device",
        "virtio-rng-pci",
      ]),
    ).toEqual([]);
  });
});

describe("forward addresses", () => {
  test("0.0.0.0 is refused by default; an operator can allow an address", async () => {
    const wide = machine("web", {
      forwards: [{ name: "ssh", protocol: "tcp", guestPort: 22, hostPort: null, hostAddress: "0.0.0.0" }],
    });
    const agent = agentWith();
    const { status, body } = await start(agent, { machines: [wide] });
    expect(status).toBe(400);
    expect(body.error?.issues).toEqual([
      {
        path: "machines.0.forwards.0.hostAddress",
        message:
          "this agent binds forwarded ports to 127.0.0.1 only, got 0.0.0.0 (agent option --allow-forward-address)",
      },
    ]);
    expect(readdirSync(agent.stateDir)).toEqual([]);
    const open = await start(agentWith({ forwardAddresses: ["127.0.0.1", "0.0.0.0"] }), { machines: [wide] });
    expect(open.status).toBe(200);
  });
});

describe("what a failed start leaves", () => {
  test("a missing secret is 422 before any directory or definition is made", async () => {
    const agent = agentWith();
    const hostPath = join(agent.stateDir, "secrets", "absent");
    const names = ["a", "b", "c"];
    const { status, body } = await start(agent, {
      machines: names.map((n) => machine(n, { secrets: [{ name: "key", hostPath }] })),
    });
    expect(status).toBe(422);
    expect(body.error?.kind).toBe("config");
    expect(existsSync(join(agent.stateDir, "vms"))).toBe(false);
    expect(existsSync(join(agent.stateDir, "manifest.json"))).toBe(false);
  });

  test("a start that fails before QEMU runs (its host port is taken) leaves no vms/<name>", async () => {
    const agent = agentWith();
    const taken = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      const busy = machine("busy", {
        forwards: [
          { name: "ssh", protocol: "tcp", guestPort: 22, hostPort: taken.port, hostAddress: "127.0.0.1" },
        ],
      });
      const { status, body } = await start(agent, { machines: [busy] });
      expect(status).toBe(200);
      expect(body.machines?.map((m) => [m.machine, m.ok, m.pid])).toEqual([["busy", false, null]]);
      expect(existsSync(join(agent.stateDir, "vms", "busy"))).toBe(false);
      const list = (await (
        await fetch(`${agent.url}/v1/vms`, { headers: { Authorization: `Bearer ${TOKEN}` } })
      ).json()) as { vms: { name: string; condition: string }[] };
      expect(list.vms.map((v) => [v.name, v.condition])).toEqual([["busy", "not-started"]]);
    } finally {
      taken.stop(true);
    }
  });
});

describe("--max-machines", () => {
  test("a request past the cap is 409 and adds nothing", async () => {
    const agent = agentWith({ maxMachines: 2 });
    expect((await start(agent, { machines: [machine("a")] })).status).toBe(200);
    const { status, body } = await start(agent, { machines: [machine("b"), machine("c")] });
    expect(status).toBe(409);
    expect(body.error?.message).toBe("this agent keeps at most 2 machines; it has 1 and the request adds 2");
    expect(readdirSync(join(agent.stateDir, "vms"))).toEqual(["a"]);
    expect((await start(agent, { machines: [machine("a"), machine("b")] })).status).toBe(200);
  });
});
