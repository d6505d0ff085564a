/**
 * `POST /v1/builds` against a real agent over HTTP with real Nix: local references (`path:..`,
 * `git+file:`, bare paths, registry names) are refused whatever the allow-list, builds are off
 * until the operator allows a pattern, the key-leaking flake (an input `path:<stateDir>/ssh`
 * and an attribute throwing `readFile` of the key) copies and returns nothing, and an allowed
 * flake's evaluation error reaches the client cut to its first line and location.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { serveFlakeTarball } from "../../../tests/support/flake-tarball.ts";
import { testTempDir } from "../../../tests/support/temp-dir.ts";
import { type RunningAgent, serveAgent } from "./serve.ts";
import { clientNixError, flakePattern, flakeRefProblem, readSse } from "@nohead/hosts";

const TOKEN = "flake-token-0123456789-abcdefghijklmnop";
const agents: RunningAgent[] = [];
afterAll(async () => {
  for (const agent of agents) await agent.stop();
});

function agentWith(allowedFlakes: string[]): RunningAgent {
  const agent = serveAgent({
    listen: "127.0.0.1:0",
    token: TOKEN,
    stateDir: testTempDir("nohead-flake-agent-"),
    allowedFlakes,
  });
  agents.push(agent);
  return agent;
}

const build = (agent: RunningAgent, flake: string) =>
  fetch(`${agent.url}/v1/builds`, {
    method: "POST",
    headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
    body: JSON.stringify({ flake }),
  });

/** Store files named `name` in `*-source` objects whose content includes `text`. */
function storeCopiesOf(name: string, text: string): string[] {
  return readdirSync("/nix/store")
    .filter((entry) => entry.endsWith("-source"))
    .map((entry) => join("/nix/store", entry, name))
    .filter((file) => {
      try {
        return readFileSync(file, "utf8").includes(text);
      } catch {
        return false;
      }
    });
}

describe("flake references a build may name", () => {
  test("local references are refused even when a pattern would match them", async () => {
    const agent = agentWith(["http://127.0.0.1:*/*"]);
    for (const flake of [
      "path:..#x",
      "path:/etc#x",
      "git+file:///srv/fleet#x",
      "file:///srv/f.tar.gz#x",
      "/srv/fleet#x",
      "./fleet#x",
      "nixpkgs#hello",
      "flake:nixpkgs#hello",
    ]) {
      const res = await build(agent, flake);
      expect([flake, res.status]).toEqual([flake, 403]);
      const body = (await res.json()) as { error: { kind: string; message: string } };
      expect(body.error.kind).toBe("forbidden");
      expect(body.error.message).toContain("is not a remote flake");
    }
    expect(readdirSync(agent.stateDir)).not.toContain("builds");
  });

  test("without --allow-flake, builds are off", async () => {
    const res = await build(agentWith([]), "github:me/fleet#default");
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
      "this agent builds no flakes: its operator allows none (agent option --allow-flake)",
    );
  });

  test("patterns: `*` is one name, never a query, a sub-path or another host", () => {
    const patterns = [flakePattern("github:myorg/*")];
    expect(flakeRefProblem("github:myorg/fleet#default", patterns)).toBeNull();
    for (const ref of [
      "github:myorg/fleet?host=evil.example",
      "github:myorg/fleet/branch",
      "github:other/fleet",
      "github:myorg/#x",
    ]) {
      expect(flakeRefProblem(`${ref}#default`, patterns)).not.toBeNull();
    }
    expect(() => flakePattern("path:/srv/*")).toThrow("must start with a remote scheme");
  });
});

describe("the key-leaking flake", () => {
  test("an input path:<stateDir>/ssh and a throw of readFile the key: refused, nothing copied or returned", async () => {
    const agent = agentWith(["http://127.0.0.1:*/*"]);
    const key = `-----BEGIN OPENSSH PRIVATE KEY-----\nnohead-test-${Date.now()}-${Math.random()}\n-----END OPENSSH PRIVATE KEY-----\n`;
    mkdirSync(join(agent.stateDir, "ssh"), { recursive: true, mode: 0o700 });
    writeFileSync(join(agent.stateDir, "ssh", "id_ed25519"), key, { mode: 0o600 });
    const flake = testTempDir("nohead-leak-flake-");
    writeFileSync(
      join(flake, "flake.nix"),
      `{ inputs.k = { url = "path:${agent.stateDir}/ssh"; flake = false; };
         outputs = { self, k }: { x = throw (builtins.readFile "\${k}/id_ed25519"); }; }`,
    );
    const res = await build(agent, `path:${flake}#x`);
    const text = await res.text();
    expect(res.status).toBe(403);
    expect(text).not.toContain("nohead-test-");
    expect(storeCopiesOf("id_ed25519", key)).toEqual([]);
  });

  test("an allowed flake's error reaches the client as its first line and location, not the file it read", async () => {
    const agent = agentWith(["http://127.0.0.1:*/*"]);
    const flake = testTempDir("nohead-throw-flake-");
    writeFileSync(join(flake, "secret.txt"), "first line of the file\nSECOND-LINE-SECRET\n");
    writeFileSync(
      join(flake, "flake.nix"),
      // The nonce keeps Nix's evaluation cache from answering for an earlier run's identical flake.
      `# ${Date.now()}-${Math.random()}\n{ outputs = { self }: {\n  x = throw (builtins.readFile ./secret.txt);\n}; }\n`,
    );
    const served = await serveFlakeTarball(flake);
    try {
      const res = await build(agent, `${served.url}#x`);
      expect(res.status).toBe(200);
      const events: { event: string; data: string }[] = [];
      for await (const event of readSse(res.body as ReadableStream<Uint8Array>)) events.push(event);
      const result = JSON.parse(events.at(-1)?.data ?? "{}") as { error: string | null };
      expect(events.at(-1)?.event).toBe("result");
      expect(result.error).toStartWith("first line of the file");
      expect(JSON.stringify(events)).not.toContain("SECOND-LINE-SECRET");
    } finally {
      served.stop();
    }
  });
});

describe("clientNixError", () => {
  test("keeps the first line and the location, drops the excerpt and the rest", () => {
    const nix =
      "undefined variable 'pkgs'\n\n       at /nix/store/abc-source/flake.nix:3:5:\n\n            2|   outputs = _: {\n            3|     x = pkgs;\n";
    expect(clientNixError(nix)).toBe("undefined variable 'pkgs' (at /nix/store/abc-source/flake.nix:3:5)");
    expect(clientNixError("x".repeat(300))).toBe(`${"x".repeat(200)}…`);
  });
});
