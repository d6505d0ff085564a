/**
 * Every route of the agent, in process (`app.request`): what an unauthenticated, malformed,
 * oversized or dangerous request gets (and that nothing starts), not-found answers, the log
 * stream, and a real `nix build` through POST /v1/builds. Starting real VMs through the API is
 * covered by the hosts conformance suite and tests/agent.
 */
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import {
  appendFileSync,
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ManifestMachine } from "@nohead/schema";
import { makeBuildFlake } from "../../../../tests/support/build-flake.ts";
import { addToStore } from "../../../../tests/support/fixture-in-store.ts";
import { serveFlakeTarball } from "../../../../tests/support/flake-tarball.ts";
import { readSse } from "../sse-events.ts";
import { openAgentFleet } from "./agent-fleet.ts";
import { createApp } from "./app.ts";
import { sampleMachine } from "@nohead/schema/testing/sample-machine";

const TOKEN = "test-token-0123456789-abcdefghijklmnop";
const AUTH = { Authorization: `Bearer ${TOKEN}` };
const JSON_AUTH = { ...AUTH, "Content-Type": "application/json" };
const scratch = mkdtempSync(join(tmpdir(), "nohead-app-test-"));
const runnerDir = join(scratch, "run-web-vm");
mkdirSync(join(runnerDir, "bin"), { recursive: true });
writeFileSync(join(runnerDir, "bin", "run-web-vm"), "#!/bin/sh\nexit 1\n");
chmodSync(join(runnerDir, "bin", "run-web-vm"), 0o755);
/** A store object of the real Nix store holding a runner that exits at once. */
const storeObject = await addToStore(runnerDir);
const runner = join(storeObject, "bin", "run-web-vm");

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A valid machine whose runner is in the test store; `overrides` break it. */
function machine(overrides: Record<string, unknown> = {}): ManifestMachine {
  return sampleMachine({ runner, system: storeObject, ...overrides } as Partial<ManifestMachine>);
}

let stateDir: string;
let app: ReturnType<typeof createApp>;

function makeApp(options: { allowQemuArgs?: boolean; allowedFlakes?: string[] } = {}) {
  stateDir = mkdtempSync(join(scratch, "state-"));
  const { fleet, machines } = openAgentFleet(stateDir);
  return createApp({ fleet, machines, token: TOKEN, version: "9.9.9", ...options });
}

beforeEach(() => {
  app = makeApp();
});

const post = (path: string, body: unknown, headers: Record<string, string> = JSON_AUTH) =>
  app.request(path, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

/** The error body of `res`, after checking it is JSON with the agent's error shape. */
async function errorOf(res: Response) {
  expect(res.headers.get("Content-Type")).toContain("application/json");
  const body = (await res.json()) as {
    error: {
      kind: string;
      message: string;
      hint: string | null;
      machine?: string | null;
      issues?: { path: string; message: string }[];
    };
  };
  expect(typeof body.error.kind).toBe("string");
  expect(typeof body.error.message).toBe("string");
  return body.error;
}

/** Nothing was started or recorded: the state dir holds no VM, no saved machine, no key. */
function expectNothingStarted() {
  expect(readdirSync(stateDir)).toEqual([]);
}

describe("health", () => {
  test("answers without a token", async () => {
    const res = await app.request("/v1/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, version: "9.9.9" });
  });
});

describe("authentication", () => {
  const routes: [string, string, unknown][] = [
    ["GET", "/v1/vms", undefined],
    ["POST", "/v1/vms/start", { machines: [machine()] }],
    ["GET", "/v1/vms/web", undefined],
    ["POST", "/v1/vms/web/stop", {}],
    ["POST", "/v1/vms/stop", {}],
    ["POST", "/v1/vms/web/restart", undefined],
    ["DELETE", "/v1/vms/web", undefined],
    ["POST", "/v1/vms/web/exec", { argv: ["true"] }],
    ["GET", "/v1/vms/web/logs", undefined],
    ["POST", "/v1/builds", { flake: "path:/x#default" }],
  ];

  for (const [method, path, body] of routes) {
    for (const [what, headers] of [
      ["no token", {}],
      ["a wrong token", { Authorization: "Bearer wrong-token-0123456789-abcdefghijklmn" }],
      ["a wrong session cookie", { Cookie: "nohead_session=forged" }],
    ] as const) {
      test(`${method} ${path} with ${what} is 401 and starts nothing`, async () => {
        const res = await app.request(path, {
          method,
          headers: { ...headers, "Content-Type": "application/json" },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        expect(res.status).toBe(401);
        expect(res.headers.get("WWW-Authenticate")).toContain("Bearer");
        const error = await errorOf(res);
        expect(error.kind).toBe("unauthorized");
        expectNothingStarted();
      });
    }
  }
});

/** A well-formed OpenSSH public key line. */
const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHJlYWxseSBhIGtleSBmb3IgdGVzdHMgb25seSEhIQ me@laptop";

describe("start request validation", () => {
  const cases: [string, unknown, string][] = [
    ["unknown top-level fields", { machines: [machine()], force: true }, "(root)"],
    ["unknown machine fields", { machines: [{ ...machine(), extra: 1 }] }, "machines.0"],
    ["no machines", { machines: [] }, "machines"],
    ["a bad machine name", { machines: [machine({ name: "web_1; rm -rf /" })] }, "machines.0.name"],
    ["a relative runner", { machines: [machine({ runner: "bin/run-web-vm" })] }, "machines.0.runner"],
    ["a runner outside the store", { machines: [machine({ runner: "/usr/bin/true" })] }, "machines.0.runner"],
    [
      "a runner escaping the store with ..",
      { machines: [machine({ runner: `${storeObject}/../../../usr/bin/true` })] },
      "machines.0.runner",
    ],
    [
      "a store path that does not exist",
      { machines: [machine({ runner: `/nix/store/${"z".repeat(32)}-missing/bin/run` })] },
      "machines.0.runner",
    ],
    ["a system outside the store", { machines: [machine({ system: "/etc" })] }, "machines.0.system"],
    ["qemuArgs (not allowed here)", { machines: [machine()], qemuArgs: ["-snapshot"] }, "qemuArgs"],
    ["a window", { machines: [machine()], display: "window" }, "display"],
    ["a display", { machines: [machine()], displayEnv: { DISPLAY: ":0" } }, "displayEnv"],
    ["the same machine twice", { machines: [machine(), machine()] }, "machines.1.name"],
    [
      "an authorized key that is not an OpenSSH public key line",
      { machines: [machine()], authorizedKeys: ["not a key"] },
      "authorizedKeys.0",
    ],
    [
      "an authorized key smuggling a second line",
      { machines: [machine()], authorizedKeys: [`${KEY}\ncommand="sh" ${KEY}`] },
      "authorizedKeys.0",
    ],
    [
      "an authorized key with options",
      { machines: [machine()], authorizedKeys: [`command="true" ${KEY}`] },
      "authorizedKeys.0",
    ],
    [
      "too many authorized keys",
      { machines: [machine()], authorizedKeys: Array(17).fill(KEY) },
      "authorizedKeys",
    ],
    [
      "an authorized key over 8 KiB",
      { machines: [machine()], authorizedKeys: [`${KEY} ${"c".repeat(8192)}`] },
      "authorizedKeys.0",
    ],
    [
      // As `user@host` in `nohead ssh`'s argv it ran a local command through OpenSSH.
      "a username that is an ssh option",
      { machines: [machine({ username: "-oProxyCommand=touch /tmp/pwned" })] },
      "machines.0.username",
    ],
    [
      "a secret outside the agent's secrets dir",
      { machines: [machine({ secrets: [{ name: "key", hostPath: "/etc/shadow" }] })] },
      "machines.0.secrets.0.hostPath",
    ],
  ];
  for (const [what, body, path] of cases) {
    test(`${what} is 400 listing the issue at ${path}, and nothing starts`, async () => {
      const res = await post("/v1/vms/start", body);
      expect(res.status).toBe(400);
      const error = await errorOf(res);
      expect(error.kind).toBe("usage");
      expect(error.issues?.map((i) => i.path)).toContain(path);
      for (const issue of error.issues ?? []) expect(issue.message.length).toBeGreaterThan(0);
      expectNothingStarted();
    });
  }

  test("malformed JSON is 400 with the problem listed", async () => {
    const res = await post("/v1/vms/start", '{"machines": [');
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error).toEqual({
      kind: "usage",
      message: "Malformed JSON in request body",
      hint: null,
      issues: [{ path: "(request)", message: "Malformed JSON in request body" }],
    });
    expectNothingStarted();
  });

  test("a body that is not JSON at all is 400", async () => {
    const res = await post("/v1/vms/start", "machines=web", { ...AUTH, "Content-Type": "text/plain" });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).issues?.map((i) => i.path)).toEqual(["machines"]);
    expectNothingStarted();
  });

  test("a dependency the agent was never given is 400", async () => {
    const res = await post("/v1/vms/start", { machines: [machine({ dependsOn: ["db"] })] });
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.kind).toBe("usage");
    expect(error.message).toBe("machines depend on machines the agent was never given: web → db");
    expectNothingStarted();
  });

  test("a body over 1 MiB is 413", async () => {
    const huge = { machines: [machine({ username: "x".repeat(1024 * 1024 + 10) })] };
    const res = await post("/v1/vms/start", huge);
    expect(res.status).toBe(413);
    const error = await errorOf(res);
    expect(error).toEqual({
      kind: "too-large",
      message: "the request body is larger than 1048576 bytes",
      hint: "requests are limited to 1 MiB; send fewer machines at once",
    });
    expectNothingStarted();
  });
});

describe("other requests", () => {
  test("the VM list is empty at first", async () => {
    const res = await app.request("/v1/vms", { headers: AUTH });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ vms: [] });
  });

  test("stopping every VM with none here answers no reports", async () => {
    const res = await app.request("/v1/vms/stop", { method: "POST", headers: JSON_AUTH, body: "{}" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ machines: [] });
  });

  const unknown: [string, string, unknown][] = [
    ["GET", "/v1/vms/ghost", undefined],
    ["POST", "/v1/vms/ghost/stop", {}],
    ["POST", "/v1/vms/ghost/restart", undefined],
    ["DELETE", "/v1/vms/ghost", undefined],
    ["POST", "/v1/vms/ghost/exec", { argv: ["true"] }],
    ["GET", "/v1/vms/ghost/logs", undefined],
  ];
  for (const [method, path, body] of unknown) {
    test(`${method} ${path} for an unknown VM is a JSON 404`, async () => {
      const res = await app.request(path, {
        method,
        headers: JSON_AUTH,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      expect(res.status).toBe(404);
      expect(await errorOf(res)).toEqual({
        kind: "not-found",
        message: 'there is no machine named "ghost" here',
        hint: "no machine has been started here yet",
        machine: null,
      });
      expectNothingStarted();
    });
  }

  test("bad VM names in the path are 400, before any lookup", async () => {
    for (const path of [
      "/v1/vms/_web",
      "/v1/vms/web.1",
      "/v1/vms/-web",
      `/v1/vms/${"a".repeat(64)}`,
      "/v1/vms/a%2Fb",
    ]) {
      const res = await app.request(path, { headers: AUTH });
      expect(res.status).toBe(400);
      expect((await errorOf(res)).issues?.[0]?.path).toBe("name");
    }
    // A dot-dot segment is resolved by the URL parser: it names no VM route at all.
    const dots = await app.request("/v1/vms/%2e%2e", { headers: AUTH });
    expect(dots.status).toBe(404);
  });

  test("exec bodies are strict: argv required, no shell string, no extra fields", async () => {
    for (const body of [
      {},
      { argv: [] },
      { argv: "uname -a" },
      { argv: ["uname"], shell: true },
      { argv: ["x"], timeoutSeconds: 0 },
    ]) {
      const res = await post("/v1/vms/web/exec", body);
      expect(res.status).toBe(400);
      expect((await errorOf(res)).kind).toBe("usage");
    }
  });

  test("log queries are checked", async () => {
    for (const query of ["lines=abc", "follow=maybe", "lines=-1", "tail=3"]) {
      const res = await app.request(`/v1/vms/web/logs?${query}`, { headers: AUTH });
      expect(res.status).toBe(400);
    }
  });

  test("build requests need a flake reference with an attribute, never an option", async () => {
    for (const flake of ["path:/srv/fleet", "--option#x", "-L#x", "a b#c", "x#a;b", ""]) {
      const res = await post("/v1/builds", { flake });
      expect(res.status).toBe(400);
      expect((await errorOf(res)).issues?.[0]?.path).toBe("flake");
    }
  });

  test("an unknown route is a JSON 404", async () => {
    const res = await app.request("/v2/anything", { headers: AUTH });
    expect(res.status).toBe(404);
    expect((await errorOf(res)).kind).toBe("not-found");
  });
});

describe("a VM's state and console on disk", () => {
  function fakeVm(name: string, console: string) {
    const dir = join(stateDir, "vms", name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "console.log"), console);
    return join(dir, "console.log");
  }

  test("status of a VM that never ran", async () => {
    fakeVm("old-1", "");
    const res = await app.request("/v1/vms/old-1", { headers: AUTH });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      name: "old-1",
      condition: "not-started",
      readiness: null,
      pid: null,
      uptimeSeconds: null,
      forwards: [],
      health: [],
      healthy: null,
      lastHealthCheck: null,
      initScript: null,
      error: null,
      stoppedBy: null,
      username: null,
      healthStatus: null,
      restarts: 0,
      watcherPid: null,
    });
  });

  test("exec in a VM that is not running is 409", async () => {
    fakeVm("old-1", "");
    const res = await post("/v1/vms/old-1/exec", { argv: ["true"] });
    expect(res.status).toBe(409);
    const error = await errorOf(res);
    expect(error.kind).toBe("conflict");
    expect(error.message).toBe("old-1: is not running (not-started)");
  });

  test("restart of a VM whose definition is unknown is 409", async () => {
    fakeVm("old-1", "");
    const res = await post("/v1/vms/old-1/restart", "");
    expect(res.status).toBe(409);
    expect((await errorOf(res)).message).toBe(
      "old-1: cannot be restarted here: its machine definition is unknown",
    );
  });

  test("logs: the last lines, cleaned of terminal codes, then end", async () => {
    fakeVm("old-1", "one\r\n\x1b[32mtwo\x1b[0m\r\nthree\n");
    const res = await app.request("/v1/vms/old-1/logs?lines=2", { headers: AUTH });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("text/event-stream");
    const events = [];
    for await (const event of readSse(res.body as ReadableStream<Uint8Array>)) events.push(event);
    expect(events).toEqual([
      { event: "line", data: "two" },
      { event: "line", data: "three" },
      { event: "end", data: "" },
    ]);
  });

  test("logs with follow stream lines appended later", async () => {
    const file = fakeVm("old-1", "booting\n");
    const abort = new AbortController();
    const res = await app.request("/v1/vms/old-1/logs?follow=true&lines=1", {
      headers: AUTH,
      signal: abort.signal,
    });
    const events = readSse(res.body as ReadableStream<Uint8Array>);
    expect((await events.next()).value).toEqual({ event: "line", data: "booting" });
    appendFileSync(file, "login: ");
    appendFileSync(file, "ready\nand more\n");
    expect((await events.next()).value).toEqual({ event: "line", data: "login: ready" });
    expect((await events.next()).value).toEqual({ event: "line", data: "and more" });
    abort.abort();
    await events.return(undefined);
  });
});

describe("what a local status server (nohead ui) refuses", () => {
  test("starting machines it was not built with, and builds, are 409", async () => {
    stateDir = mkdtempSync(join(scratch, "ui-"));
    const { fleet } = openAgentFleet(stateDir);
    const ui = createApp({ fleet, token: TOKEN, version: "9.9.9" });
    const start = await ui.request("/v1/vms/start", {
      method: "POST",
      headers: JSON_AUTH,
      body: JSON.stringify({ machines: [machine()] }),
    });
    expect(start.status).toBe(409);
    expect((await errorOf(start)).message).toBe(
      "this server runs its project's own machines and takes no others",
    );
    const build = await ui.request("/v1/builds", {
      method: "POST",
      headers: JSON_AUTH,
      body: JSON.stringify({ flake: "path:/srv/x#default" }),
    });
    expect(build.status).toBe(409);
    expectNothingStarted();
  });
});

describe("qemuArgs when the agent allows them", () => {
  test("pass validation (and reach the fleet)", async () => {
    app = makeApp({ allowQemuArgs: true });
    // The runner exits at once: the start fails, but it was attempted, with the machine saved.
    const res = await post("/v1/vms/start", { machines: [machine()], qemuArgs: ["-snapshot"] });
    expect(res.status).toBe(200);
    const { machines } = (await res.json()) as { machines: { machine: string; ok: boolean }[] };
    expect(machines.map((m) => [m.machine, m.ok])).toEqual([["web", false]]);
    expect(existsSync(join(stateDir, "manifest.json"))).toBe(true);
  });
});

describe("POST /v1/builds", () => {
  test("builds an allowed flake with nix on the agent and streams progress, then the machines", async () => {
    const flake = makeBuildFlake();
    const served = await serveFlakeTarball(flake);
    app = makeApp({ allowedFlakes: ["http://127.0.0.1:*/*"] });
    const res = await post("/v1/builds", { flake: `${served.url}#default` });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("text/event-stream");
    const events: { event: string; data: string }[] = [];
    for await (const event of readSse(res.body as ReadableStream<Uint8Array>)) events.push(event);
    const builds = events
      .filter((e) => e.event === "build")
      .map((e) => JSON.parse(e.data) as { type: string });
    expect(builds[0]).toEqual({ type: "evaluating" });
    expect(builds.map((b) => b.type)).toContain("planned");
    expect(builds.map((b) => b.type)).toContain("linking");
    const last = events.at(-1);
    expect(last?.event).toBe("result");
    const result = JSON.parse(last?.data ?? "{}") as {
      error: string | null;
      failed: unknown[];
      built: string[];
      resultLink: string;
      machines: ManifestMachine[];
    };
    expect(result.error).toBeNull();
    expect(result.failed).toEqual([]);
    expect(result.resultLink.startsWith(join(stateDir, "builds"))).toBe(true);
    expect(result.machines.length).toBeGreaterThan(0);
    expect(result.built.sort()).toEqual(result.machines.map((m) => m.name).sort());
    for (const m of result.machines) {
      expect(m.runner.startsWith("/nix/store/")).toBe(true);
      expect(existsSync(m.runner)).toBe(true);
    }
    served.stop();
    rmSync(flake, { recursive: true, force: true });
  });
});
