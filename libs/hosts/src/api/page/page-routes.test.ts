/**
 * The browser's way in, in process: the page shell holds no data, sign-in answers a session id
 * (never a cookie), the id works in its header until sign-out or expiry, and the request guard
 * refuses foreign `Host`s and cross-origin state changes.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openAgentFleet } from "../agent-fleet.ts";
import { createApp } from "../app.ts";
import { PageSessions, SESSION_HEADER } from "../page-sessions.ts";

const TOKEN = "page-token-0123456789-abcdefghijklmnopq";
const stateDir = mkdtempSync(join(tmpdir(), "nohead-page-test-"));
mkdirSync(join(stateDir, "vms", "web-1"), { recursive: true });
const { fleet, machines } = openAgentFleet(stateDir);
const app = createApp({ fleet, machines, token: TOKEN, version: "1.2.3", title: "lab agent" });
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

const login = (token: unknown, headers: Record<string, string> = {}) =>
  app.request("http://127.0.0.1:7420/login", {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify({ token }),
  });

async function sessionId(): Promise<string> {
  const res = await login(TOKEN);
  expect(res.status).toBe(200);
  return ((await res.json()) as { session: string }).session;
}

describe("the page", () => {
  test("is a shell with no VM data, a script allowed by the CSP nonce only, and no cookie", async () => {
    const res = await app.request("http://127.0.0.1:7420/");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(html).toContain("<title>lab agent</title>");
    expect(html).toContain('<form class="login" id="signin" hidden="">');
    expect(html).not.toContain("web-1");
    expect(res.headers.get("Set-Cookie")).toBeNull();
    const csp = res.headers.get("Content-Security-Policy") ?? "";
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(html).toContain(`<script nonce="${nonce}">`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
  });
});

describe("sessions", () => {
  test("a wrong token is 401 and makes no session", async () => {
    for (const token of ["nope", 42, undefined]) {
      const res = await login(token);
      expect(res.status).toBe(401);
      expect(res.headers.get("Set-Cookie")).toBeNull();
    }
  });

  test("the token gives a random session id, not derived from it, and no cookie", async () => {
    const res = await login(TOKEN);
    expect(res.headers.get("Set-Cookie")).toBeNull();
    const { session, expiresAt } = (await res.json()) as { session: string; expiresAt: number };
    expect(session).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(session).not.toBe(await sessionId());
    expect(expiresAt).toBeGreaterThan(Date.now());
  });

  test("the id works in its header, until sign-out", async () => {
    const id = await sessionId();
    const list = () => app.request("http://127.0.0.1:7420/v1/vms", { headers: { [SESSION_HEADER]: id } });
    expect((await list()).status).toBe(200);
    const out = await app.request("http://127.0.0.1:7420/logout", {
      method: "POST",
      headers: { [SESSION_HEADER]: id },
    });
    expect(out.status).toBe(204);
    expect((await list()).status).toBe(401);
  });

  test("a session ends at its expiry", () => {
    let now = 1_000;
    const sessions = new PageSessions(60_000, () => now);
    const { id } = sessions.create();
    expect(sessions.isValid(id)).toBe(true);
    now += 59_999;
    expect(sessions.isValid(id)).toBe(true);
    now += 1;
    expect(sessions.isValid(id)).toBe(false);
    expect(sessions.isValid("made-up")).toBe(false);
  });

  test("a cookie is no authentication", async () => {
    const id = await sessionId();
    const res = await app.request("http://127.0.0.1:7420/v1/vms", {
      headers: { Cookie: `nohead_session=${id}` },
    });
    expect(res.status).toBe(401);
  });
});

describe("the request guard", () => {
  test("a Host that is neither an IP, localhost nor an allowed name is refused (DNS rebinding)", async () => {
    const res = await app.request("http://rebound.example:7420/v1/health");
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
      'this server does not answer to the host name "rebound.example"',
    );
    for (const host of ["127.0.0.1", "localhost", "[::1]"]) {
      expect((await app.request(`http://${host}:7420/v1/health`)).status).toBe(200);
    }
    const named = createApp({
      fleet,
      machines,
      token: TOKEN,
      version: "1",
      allowedHosts: ["lab.example.org"],
    });
    expect((await named.request("http://lab.example.org:7420/v1/health")).status).toBe(200);
    const tls = createApp({ fleet, machines, token: TOKEN, version: "1", tls: true });
    expect((await tls.request("https://lab.example.org:7420/v1/health")).status).toBe(200);
  });

  test("a state change from another origin is refused, with the token or a session", async () => {
    const id = await sessionId();
    const cases: Record<string, string>[] = [
      { Origin: "http://127.0.0.1:8080" },
      { "Sec-Fetch-Site": "same-site" },
      { "Sec-Fetch-Site": "cross-site" },
      { Origin: "null" },
    ];
    for (const headers of cases) {
      const auths: Record<string, string>[] = [
        { Authorization: `Bearer ${TOKEN}` },
        { [SESSION_HEADER]: id },
      ];
      for (const auth of auths) {
        const res = await app.request("http://127.0.0.1:7420/v1/vms/web-1/stop", {
          method: "POST",
          headers: { ...headers, ...auth },
        });
        expect([headers, res.status]).toEqual([headers, 403]);
      }
    }
    const sameOrigin = await app.request("http://127.0.0.1:7420/v1/vms/web-1/stop", {
      method: "POST",
      headers: { Origin: "http://127.0.0.1:7420", "Sec-Fetch-Site": "same-origin", [SESSION_HEADER]: id },
    });
    expect(sameOrigin.status).toBe(200);
    expect((await login(TOKEN, { Origin: "http://127.0.0.1:8080" })).status).toBe(403);
  });
});
