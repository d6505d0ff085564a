/** The browser's way in, in process: login form, session cookie, the `?token=` link, CSRF, the page. */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openAgentFleet } from "../agent-fleet.ts";
import { createApp } from "../app.ts";
import { CSRF_HEADER, csrfValue, SESSION_COOKIE, sessionValue } from "../token-auth.ts";

const TOKEN = "page-token-0123456789-abcdefghijklmnopq";
const stateDir = mkdtempSync(join(tmpdir(), "nohead-page-test-"));
mkdirSync(join(stateDir, "vms", "web-1"), { recursive: true });
const { fleet, machines } = openAgentFleet(stateDir);
const app = createApp({ fleet, machines, token: TOKEN, version: "1.2.3", title: "lab agent" });
const cookie = `${SESSION_COOKIE}=${sessionValue(TOKEN)}`;
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

const form = (fields: Record<string, string>) => ({
  method: "POST",
  headers: { "Content-Type": "application/x-www-form-urlencoded" },
  body: new URLSearchParams(fields).toString(),
});

describe("signing in", () => {
  test("a visitor without a session gets the login form", async () => {
    const res = await app.request("/");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(html).toContain('<form class="login" method="post" action="/login">');
    expect(html).not.toContain("web-1");
  });

  test("a wrong token is refused, with no cookie", async () => {
    const res = await app.request("/login", form({ token: "nope" }));
    expect(res.status).toBe(401);
    expect(res.headers.get("Set-Cookie")).toBeNull();
    expect(await res.text()).toContain("Wrong token.");
  });

  test("the right token sets an HttpOnly, SameSite=Strict session cookie that is not the token", async () => {
    const res = await app.request("/login", form({ token: TOKEN }));
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe("/");
    const setCookie = res.headers.get("Set-Cookie") ?? "";
    expect(setCookie).toBe(`${SESSION_COOKIE}=${sessionValue(TOKEN)}; Path=/; HttpOnly; SameSite=Strict`);
    expect(setCookie).not.toContain(TOKEN);
  });

  test("over https the cookie is Secure", async () => {
    const res = await app.request("https://lab.example.org/login", form({ token: TOKEN }));
    expect(res.headers.get("Set-Cookie")).toContain("; Secure");
  });

  test("the ?token= link signs in and redirects the token out of the address bar", async () => {
    const res = await app.request(`/?token=${TOKEN}`);
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe("/");
    expect(res.headers.get("Set-Cookie")).toContain(`${SESSION_COOKIE}=${sessionValue(TOKEN)}`);
    const wrong = await app.request("/?token=wrong");
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("Set-Cookie")).toBeNull();
  });

  test("sign-out needs the page's CSRF value", async () => {
    const forged = await app.request("/logout", {
      ...form({}),
      headers: { ...form({}).headers, Cookie: cookie },
    });
    expect(forged.headers.get("Set-Cookie")).toBeNull();
    const real = await app.request("/logout", {
      ...form({ csrf: csrfValue(TOKEN) }),
      headers: { ...form({}).headers, Cookie: cookie },
    });
    expect(real.status).toBe(303);
    expect(real.headers.get("Set-Cookie")).toContain(`${SESSION_COOKIE}=;`);
  });
});

describe("the status page", () => {
  test("shows every VM, the CSRF value and a script allowed by the CSP nonce only", async () => {
    const res = await app.request("/", { headers: { Cookie: cookie } });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("<title>lab agent</title>");
    expect(html).toContain('<tr data-vm="web-1">');
    expect(html).toContain('<span class="state not-started">not-started</span>');
    expect(html).toContain(`<meta name="nohead-csrf" content="${csrfValue(TOKEN)}"/>`);
    const csp = res.headers.get("Content-Security-Policy") ?? "";
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(html).toContain(`<script nonce="${nonce}">`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
  });
});

describe("the cookie on the API", () => {
  test("reads work with the cookie alone", async () => {
    const res = await app.request("/v1/vms", { headers: { Cookie: cookie } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { vms: { name: string }[] }).vms.map((v) => v.name)).toEqual(["web-1"]);
  });

  test("a state change with the cookie but without the CSRF header is 403", async () => {
    const res = await app.request("/v1/vms/web-1/stop", { method: "POST", headers: { Cookie: cookie } });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({
      error: {
        kind: "forbidden",
        message: `cookie-authenticated POST requests need the ${CSRF_HEADER} header the status page sends`,
        hint: null,
      },
    });
  });

  test("a wrong CSRF header is 403 too; the right one passes", async () => {
    const wrong = await app.request("/v1/vms/web-1/stop", {
      method: "POST",
      headers: { Cookie: cookie, [CSRF_HEADER]: "guess" },
    });
    expect(wrong.status).toBe(403);
    const right = await app.request("/v1/vms/web-1/stop", {
      method: "POST",
      headers: { Cookie: cookie, [CSRF_HEADER]: csrfValue(TOKEN) },
    });
    expect(right.status).toBe(200);
    expect(await right.json()).toEqual({
      machine: "web-1",
      ok: true,
      method: "already-stopped",
      durationMs: 0,
      error: null,
    });
  });
});
