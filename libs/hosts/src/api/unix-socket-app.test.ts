/**
 * The host API as the project's supervisor serves it: on a unix socket without a token, where
 * everything but the token check still applies (body limit, validation), there is no page, and
 * the event stream outlives Bun's idle timeout.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { FleetEvents } from "@nohead/supervisor";
import { testTempDir } from "../../../../tests/support/temp-dir.ts";
import { readSse } from "../sse-events.ts";
import { openAgentFleet } from "./agent-fleet.ts";
import { createApp } from "./app.ts";
import { serveApp } from "./serve-app.ts";

const dir = testTempDir("nohead-unix-api-");
const socketDir = join(dir, "run");
mkdirSync(socketDir, { mode: 0o700 });
const socket = join(socketDir, "supervisor.sock");
const { fleet, machines } = openAgentFleet(join(dir, "state"));
const events = new FleetEvents(() => fleet.status());
const app = createApp({
  fleet,
  machines,
  token: null,
  version: "test",
  storeDir: null,
  secretsDir: null,
  events,
});
const served = serveApp(app, { unix: socket });
afterAll(() => served.stop());

const call = (path: string, init: RequestInit = {}) =>
  fetch(`http://supervisor${path}`, { ...init, unix: socket });
const post = (path: string, body: string) =>
  call(path, { method: "POST", body, headers: { "Content-Type": "application/json" } });

describe("the host API on a unix socket, without a token", () => {
  test("answers without a token", async () => {
    const res = await call("/v1/vms");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ vms: [] });
  });

  test("still limits bodies", async () => {
    const res = await post("/v1/vms/start", JSON.stringify({ machines: [], pad: "x".repeat(1024 * 1024) }));
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { kind: string } }).error.kind).toBe("too-large");
  });

  test("still validates bodies, and nothing starts", async () => {
    const res = await post(
      "/v1/vms/start",
      JSON.stringify({ machines: [{ name: "../../etc" }], surprise: 1 }),
    );
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { kind: string; issues: { path: string }[] } };
    expect(error.kind).toBe("usage");
    expect(error.issues.map((i) => i.path)).toContain("(root)");
    expect((await (await call("/v1/vms")).json()) as unknown).toEqual({ vms: [] });
  });

  test("serves no status page (browsers cannot reach it, and it has no token to sign in with)", async () => {
    const res = await call("/");
    expect(res.status).toBe(404);
  });

  test("keeps a silent event stream open past Bun's 10 s idle timeout", async () => {
    const res = await call("/v1/events");
    expect(res.headers.get("Content-Type")).toStartWith("text/event-stream");
    const reader = readSse(res.body as ReadableStream<Uint8Array>)[Symbol.asyncIterator]();
    await Bun.sleep(11_000);
    const event = {
      type: "restart" as const,
      machine: "web",
      at: new Date().toISOString(),
      pid: 7,
      detail: "on-failure",
    };
    events.publish(event);
    const next = await Promise.race([reader.next(), Bun.sleep(3000).then(() => null)]);
    expect(next?.value).toEqual({ event: "vm", data: JSON.stringify(event) });
    await reader.return?.(undefined);
  }, 20_000);
});
