/**
 * The status page's sessions in a real Chromium, against two real agents with the same token and
 * a "guest" web server on another loopback port (what a guest's forwarded web port is). Before,
 * the page's cookie reached every port of 127.0.0.1, kept working after sign-out and on the other
 * agent; now the session lives in the page's own origin and in one agent's memory only.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { type RunningAgent, serveAgent } from "@nohead/agent";
import { SESSION_HEADER } from "@nohead/hosts";
import { type Browser, chromium, type Page } from "playwright-core";
import { testTempDir } from "../support/temp-dir.ts";

const TOKEN = "sessions-token-0123456789-abcdefghijklm";
let first: RunningAgent;
let second: RunningAgent;
let guest: ReturnType<typeof Bun.serve>;
/** Every request the guest's server received: what the browser sent it. */
const guestSaw: { path: string; cookie: string | null; session: string | null }[] = [];
let browser: Browser;
let page: Page;

/** The guest's page: it tries what a hostile page on another port would. */
const GUEST_PAGE = (agentUrl: string) => `<!DOCTYPE html><html><body>
<form id="f" method="post" action="${agentUrl}/v1/vms/web-1/stop"></form>
<script>
window.attempts = (async () => {
  const out = { cookie: document.cookie, stored: sessionStorage.getItem("nohead-session") };
  out.read = await fetch("${agentUrl}/v1/vms", { credentials: "include" }).then((r) => "status " + r.status, (e) => "blocked");
  return out;
})();
</script></body></html>`;

beforeAll(async () => {
  first = serveAgent({ listen: "127.0.0.1:0", token: TOKEN, stateDir: testTempDir("nohead-sess-1-") });
  second = serveAgent({ listen: "127.0.0.1:0", token: TOKEN, stateDir: testTempDir("nohead-sess-2-") });
  guest = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (request) => {
      const url = new URL(request.url);
      guestSaw.push({
        path: url.pathname,
        cookie: request.headers.get("Cookie"),
        session: request.headers.get(SESSION_HEADER),
      });
      return new Response(GUEST_PAGE(first.url), { headers: { "Content-Type": "text/html" } });
    },
  });
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      // A name that resolves to loopback, as a rebinding attacker's DNS answers.
      "--host-resolver-rules=MAP rebound.example 127.0.0.1",
    ],
  });
  page = await browser.newPage();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  guest?.stop(true);
  await first?.stop();
  await second?.stop();
});

/** Waits until `selector` is visible (the page's script shows one part or the other). */
async function visible(selector: string): Promise<void> {
  await page.locator(selector).waitFor({ state: "visible", timeout: 10_000 });
}

const listWith = (agent: RunningAgent, session: string) =>
  fetch(`${agent.url}/v1/vms`, { headers: { [SESSION_HEADER]: session } });

setDefaultTimeout(20_000);

describe("the page's session in Chromium", () => {
  let session: string;

  test("the #token= link signs in, leaves the address bar, and sets no cookie", async () => {
    await page.goto(`${first.url}/#token=${TOKEN}`);
    await visible("#status");
    expect(new URL(page.url()).hash).toBe("");
    expect(await page.context().cookies()).toEqual([]);
    session = (await page.evaluate(() => sessionStorage.getItem("nohead-session"))) ?? "";
    expect(session).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await listWith(first, session)).status).toBe(200);
  });

  test("a page on another loopback port gets nothing: no cookie sent, no session readable, no read", async () => {
    await page.goto(`${guest.url}`);
    const attempts = (await page.evaluate("window.attempts")) as Record<string, string | null>;
    expect(guestSaw.length).toBeGreaterThan(0);
    for (const request of guestSaw) {
      expect(request.cookie).toBeNull();
      expect(request.session).toBeNull();
    }
    expect(attempts).toEqual({ cookie: "", stored: null, read: "blocked" });
  });

  test("a form that page posts to the agent is refused", async () => {
    await page.goto(`${guest.url}`);
    const [response] = await Promise.all([
      page.waitForNavigation(),
      page.locator("#f").evaluate((form) => (form as unknown as { submit(): void }).submit()),
    ]);
    expect(response?.status()).toBe(403);
    expect(await page.textContent("body")).toContain('"kind":"forbidden"');
  });

  test("another agent with the same token does not take the first one's session", async () => {
    expect((await listWith(second, session)).status).toBe(401);
  });

  test("a rebound host name is refused", async () => {
    const response = await page.goto(`http://rebound.example:${new URL(first.url).port}/`);
    expect(response?.status()).toBe(403);
    const direct = await fetch(`${first.url}/v1/health`, { headers: { Host: "rebound.example" } });
    expect(direct.status).toBe(403);
  });

  test("sign-out ends the session: reusing it fails", async () => {
    await page.goto(`${first.url}/`);
    await visible("#status");
    await page.click("#logout");
    await visible("#signin");
    expect(await page.evaluate(() => sessionStorage.getItem("nohead-session"))).toBeNull();
    expect((await listWith(first, session)).status).toBe(401);
  });

  test("signing in with the form works; a wrong token says so", async () => {
    await page.fill("#token", "wrong");
    await page.click("#signin button[type=submit]");
    await page.locator("#signin-error", { hasText: "Wrong token." }).waitFor({ timeout: 10_000 });
    await page.fill("#token", TOKEN);
    await page.click("#signin button[type=submit]");
    await visible("#status");
    await page.locator("#summary", { hasText: "0 of 0 running" }).waitFor({ timeout: 10_000 });
  });
});
