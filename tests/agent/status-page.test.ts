/**
 * The status page in a real headless Chromium, against a real agent with two fixture VMs: the
 * sign-in link sets the cookie, the table lists both VMs running, their health column shows the
 * watchers' live verdict (unhealthy, with the failing check, once a guest's sshd is killed), the
 * console tail follows new lines, and the stop button (a POST with the CSRF header) stops one. Saves a screenshot to
 * test-results/status-page.png.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTokenFile, ApiHost } from "@nohead/hosts";
import { Fleet, projectAt } from "@nohead/supervisor";
import { type Browser, chromium, type Locator, type Page } from "playwright-core";
import { type FixtureFleet, makeFixtureFleet } from "../support/fixture-fleet.ts";
import { fixtureInStore } from "../support/fixture-in-store.ts";
import { REPO_ROOT } from "../support/run-cli.ts";
import { type AgentProcess, qemuUsing, spawnAgent } from "./agent-process.ts";

/** Budget of the steps that boot VMs: generous, as CI machines are slow. */
const SLOW_MS = 240_000;
const root = mkdtempSync(join(tmpdir(), "nohead-page-"));
const stateDir = join(root, "state");
const tokenFile = join(root, "token");
let fixture: FixtureFleet;
let agent: AgentProcess;
let host: ApiHost;
let browser: Browser;
let page: Page;
let token: string;

beforeAll(async () => {
  // Checks every second, one failure is unhealthy: the health column changes within seconds.
  fixture = await fixtureInStore(
    await makeFixtureFleet(
      `{ ... }: { web = { count = 2; health.interval = 1; health.timeout = 2; health.retries = 1; }; }`,
    ),
  );
  token = createTokenFile(tokenFile);
  agent = await spawnAgent(["--token-file", tokenFile, "--state-dir", stateDir]);
  host = new ApiHost({ name: "page", url: agent.url, token });
  const started = await host.start(fixture.manifest.machines);
  if (!started.every((r) => r.ok)) throw new Error(`fixture VMs did not start: ${JSON.stringify(started)}`);
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
    ],
  });
  page = await browser.newPage({ viewport: { width: 1200, height: 820 } });
}, SLOW_MS);

afterAll(async () => {
  await browser?.close();
  await new Fleet(projectAt(stateDir, stateDir), stateDir).stop();
  await agent?.kill("SIGTERM").catch(() => null);
  rmSync(root, { recursive: true, force: true });
  if (fixture) rmSync(fixture.projectDir, { recursive: true, force: true });
}, SLOW_MS);

const row = (name: string) => page.locator(`tr[data-vm="${name}"]`);

/**
 * Waits until `locator`'s text matches `expected` (playwright-core has no `expect` matchers);
 * fails naming what it waited for and the last text seen.
 */
async function waitForText(locator: Locator, expected: string | RegExp, timeoutMs = 10_000): Promise<string> {
  const matches = (text: string) =>
    typeof expected === "string" ? text === expected || text.includes(expected) : expected.test(text);
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    last = ((await locator.textContent({ timeout: timeoutMs }).catch(() => null)) ?? "").trim();
    if (matches(last)) return last;
    if (Date.now() > deadline) {
      throw new Error(
        `waited ${timeoutMs} ms for ${locator} to show ${expected}; it shows ${JSON.stringify(last.slice(-300))}`,
      );
    }
    await Bun.sleep(100);
  }
}

describe("the status page in Chromium", () => {
  test("the sign-in link lands on the page, its token out of the address bar", async () => {
    const response = await page.goto(`${agent.url}/#token=${token}`);
    expect(response?.status()).toBe(200);
    await page.locator("#status").waitFor({ state: "visible", timeout: 10_000 });
    expect(new URL(page.url()).hash).toBe("");
    expect(await page.context().cookies()).toEqual([]);
  });

  test("lists every VM with its state, readiness, ports and uptime", async () => {
    for (const name of ["web-1", "web-2"]) {
      await waitForText(row(name).locator(".state"), "running");
      await waitForText(row(name).locator(".readiness"), "ready");
      await waitForText(row(name).locator(".ports"), /^ssh 127\.0\.0\.1:\d+→22$/);
      await waitForText(row(name).locator(".health"), "healthy");
      await waitForText(row(name).locator(".uptime"), /^\d+(s|m \d\ds)$/);
    }
    await waitForText(page.locator("#summary"), "2 of 2 running");
    await waitForText(page.locator("#updated"), /^updated /, 10_000);
  });

  test("the health column is the watcher's live verdict: unhealthy, with what fails, when sshd dies", async () => {
    const kill = await host.exec("web-1", [
      "/bin/sh",
      "-c",
      // killall fails when a connection's child it listed ends first (the health checks connect
      // every second): what counts is that no dropbear runs afterwards.
      "killall dropbear; sleep 0.5; ! busybox pidof dropbear",
    ]);
    expect(kill.exitCode).toBe(0);
    await waitForText(row("web-1").locator(".health"), /^unhealthy — ssh: /, 20_000);
    expect(await row("web-1").locator(".health").getAttribute("class")).toBe("health unhealthy");
    expect(await row("web-1").locator(".health").getAttribute("title")).toMatch(/^last check \d{4}-/);
    await waitForText(row("web-2").locator(".health"), "healthy");
    const [status] = await host.status(["web-1"]);
    expect(status?.healthy).toBe(false);
  });

  test("the console tail follows new lines", async () => {
    await row("web-1").locator('button[data-action="logs"]').click();
    await waitForText(page.locator("#log-vm"), "web-1");
    await waitForText(page.locator("#log"), "nohead-fixture", 20_000);
    const marker = `page-marker-${Date.now()}`;
    const wrote = await host.exec("web-1", ["sh", "-c", `echo ${marker} > /dev/console`]);
    expect(wrote.exitCode).toBe(0);
    await waitForText(page.locator("#log"), marker, 20_000);
  });

  test("the stop button stops a VM, and the table shows it", async () => {
    await row("web-2").locator('button[data-action="stop"]').click();
    await waitForText(page.locator("#notice"), "web-2: stop done", 60_000);
    await waitForText(row("web-2").locator(".state"), "stopped", 10_000);
    expect(await row("web-2").locator('button[data-action="stop"]').isDisabled()).toBe(true);
    expect(await row("web-2").locator(".ports").textContent()).toBe("");
    await waitForText(
      row("web-2").locator(".detail"),
      /^by (powerdown|guest-shutdown|quit|sigterm|sigkill)$/,
    );
    await waitForText(row("web-1").locator(".state"), "running");
    await waitForText(page.locator("#summary"), "1 of 2 running");
    const [status] = await host.status(["web-2"]);
    expect(status?.condition).toBe("stopped");
    mkdirSync(join(REPO_ROOT, "test-results"), { recursive: true });
    await page.screenshot({ path: join(REPO_ROOT, "test-results", "status-page.png"), fullPage: true });
  });

  test("the VMs stop and no QEMU of ours is left", async () => {
    await host.stop();
    expect(qemuUsing([stateDir])).toEqual([]);
  });
});
