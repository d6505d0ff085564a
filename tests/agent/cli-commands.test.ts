/**
 * The CLI side: `nohead ui` (run as its own process in a project: prints a sign-in link, serves the
 * page of the project's machines on loopback only) and `nohead agent token`. The command modules
 * are run directly, the way program.ts runs them.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readTokenFile } from "@nohead/hosts";
import { NoheadError } from "@nohead/schema";
import { makeFixtureFleet } from "../support/fixture-fleet.ts";
import { REPO_ROOT } from "../support/run-cli.ts";

const UI = join(REPO_ROOT, "apps/cli/src/commands/ui.ts");
const AGENT = join(REPO_ROOT, "apps/cli/src/commands/agent.ts");
const scratch = mkdtempSync(join(tmpdir(), "nohead-cli-agent-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs an exported command function of `module` in a child bun, in `cwd`. */
function runCommand(module: string, fn: string, options: object, cwd: string) {
  const code = `const m = await import(${JSON.stringify(module)}); process.exitCode = await m.${fn}([${JSON.stringify(options)}], { result: "result" });`;
  return Bun.spawn(["bun", "-e", code], { cwd, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
}

describe("nohead ui", () => {
  test("prints a sign-in link and serves the project's machines on loopback", async () => {
    const fixture = await makeFixtureFleet(`{ ... }: { web = { count = 2; }; }`, {
      projectDir: join(scratch, "proj"),
    });
    const child = runCommand(UI, "run", { listen: "127.0.0.1:0" }, fixture.projectDir);
    let out = "";
    const reader = child.stdout.getReader();
    const deadline = Date.now() + 20_000;
    while (!/#token=\S+/.test(out)) {
      if (Date.now() > deadline) throw new Error(`nohead ui printed no link within 20 s: ${out}`);
      const { value, done } = await reader.read();
      if (done) throw new Error(`nohead ui ended: ${out}${await new Response(child.stderr).text()}`);
      out += new TextDecoder().decode(value);
    }
    reader.releaseLock();
    const link = /(http:\/\/127\.0\.0\.1:\d+)\/#token=(\S+)/.exec(out);
    expect(link).not.toBeNull();
    const [, base, token] = link as unknown as [string, string, string];
    expect(out).toStartWith(`status page of ${fixture.projectDir}:\n`);

    const page = await (await fetch(`${base}/`)).text();
    expect(page).toContain("<title>nohead — proj</title>");
    const signIn = await fetch(`${base}/login`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token }),
    });
    expect(signIn.status).toBe(200);
    expect(signIn.headers.get("Set-Cookie")).toBeNull();
    const { session } = (await signIn.json()) as { session: string };
    const bySession = await fetch(`${base}/v1/vms`, { headers: { "X-Nohead-Session": session } });
    expect(((await bySession.json()) as { vms: { name: string }[] }).vms.map((v) => v.name)).toEqual([
      "web-1",
      "web-2",
    ]);
    const list = await fetch(`${base}/v1/vms`, { headers: { Authorization: `Bearer ${token}` } });
    expect(((await list.json()) as { vms: { name: string; condition: string }[] }).vms).toMatchObject([
      { name: "web-1", condition: "not-started" },
      { name: "web-2", condition: "not-started" },
    ]);
    // Its token is made for this run: nothing else opens it.
    expect((await fetch(`${base}/v1/vms`)).status).toBe(401);

    child.kill("SIGTERM");
    expect(await child.exited).toBe(0);
  });

  test("refuses a non-loopback address", async () => {
    const { run } = await import(UI);
    let error: unknown;
    try {
      await run([{ listen: "0.0.0.0:7421" }], { result: "result" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NoheadError);
    expect((error as NoheadError).kind).toBe("usage");
    expect((error as NoheadError).message).toBe("nohead ui listens on loopback only, got 0.0.0.0:7421");
  });
});

describe("nohead agent token", () => {
  test("writes a 0600 token file, says where, and never overwrites it without --force", async () => {
    const file = join(scratch, "tokens", "agent-token");
    const first = runCommand(AGENT, "token", { file }, scratch);
    const [out, code] = await Promise.all([new Response(first.stdout).text(), first.exited]);
    expect(code).toBe(0);
    expect(out.split("\n")[0]).toBe(`wrote a new agent token to ${file} (mode 0600)`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const token = readTokenFile(file);

    const again = runCommand(AGENT, "token", { file }, scratch);
    const [err, againCode] = await Promise.all([new Response(again.stderr).text(), again.exited]);
    expect(againCode).not.toBe(0);
    expect(err).toContain(`${file} already exists; not overwriting it`);
    expect(readTokenFile(file)).toBe(token);

    const forced = runCommand(AGENT, "token", { file, force: true }, scratch);
    expect(await forced.exited).toBe(0);
    expect(readTokenFile(file)).not.toBe(token);
  });
});
