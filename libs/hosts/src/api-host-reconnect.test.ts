/**
 * The project's supervisor ends by itself when idle: a command whose request finds its socket gone
 * (nothing listens, so nothing was sent) asks for the supervisor anew once and sends the request
 * there, over real unix sockets.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiHost } from "./api-host.ts";

const dir = mkdtempSync(join(tmpdir(), "nohead-reconnect-"));
const live = join(dir, "new.sock");
const server = Bun.serve({
  unix: live,
  fetch: (request) =>
    new URL(request.url).pathname === "/v1/health"
      ? Response.json({ ok: true, version: "9.9.9" })
      : new Response(null, { status: 404 }),
});
afterAll(() => {
  server.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

function hostOnSockets(first: string) {
  const asked: boolean[] = [];
  const host = new ApiHost({
    name: "local",
    unix: async (again = false) => {
      asked.push(again);
      return again ? live : first;
    },
    what: "the project's supervisor",
    hint: "its log",
  });
  return { host, asked };
}

test("a supervisor gone since the last request (socket removed): asked anew once, the request answered", async () => {
  const { host, asked } = hostOnSockets(join(dir, "ended.sock"));
  expect(await host.health()).toEqual({ ok: true, version: "9.9.9" });
  expect(asked).toEqual([false, true]);
});

test("a socket file left by a killed supervisor (refused): asked anew once, the request answered", async () => {
  const stale = join(dir, "stale.sock");
  Bun.serve({ unix: stale, fetch: () => new Response("") }).stop(true);
  const { host, asked } = hostOnSockets(stale);
  expect(await host.health()).toEqual({ ok: true, version: "9.9.9" });
  expect(asked).toEqual([false, true]);
});

test("when the new one does not answer either, the error names the supervisor", async () => {
  const host = new ApiHost({
    name: "local",
    unix: async () => join(dir, "never.sock"),
    what: "the project's supervisor",
    hint: "its log",
  });
  let error: unknown;
  try {
    await host.health();
  } catch (e) {
    error = e;
  }
  expect(String(error)).toContain("cannot reach host local (the project's supervisor)");
});
