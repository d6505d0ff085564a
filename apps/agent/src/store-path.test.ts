/**
 * Runner and system paths against the real Nix store and a real agent over HTTP: a symlink in
 * the store to a file outside it, a lookalike directory Nix never registered, and — with
 * `--only-trusted-runners` — a closure without a trusted signature, each refused before anything
 * runs; a closure signed with a real Nix key is accepted.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ManifestMachine } from "@nohead/schema";
import { addToStore } from "../../../tests/support/fixture-in-store.ts";
import { testTempDir } from "../../../tests/support/temp-dir.ts";
import { type RunningAgent, serveAgent } from "./serve.ts";
import { isInside, storePathProblems } from "@nohead/hosts";
import { sampleMachine } from "@nohead/schema/testing/sample-machine";

const TOKEN = "store-token-0123456789-abcdefghijklmnop";
const scratch = testTempDir("nohead-store-path-");
/** Where the symlinked "runner" points: outside the store, editable after the store add. */
const outside = join(scratch, "evil.sh");
const marker = join(scratch, "ran");
let honest: string;
let linked: string;
/** A lookalike store object: a directory under /nix/store that Nix never registered. */
const fake = `/nix/store/${"0".repeat(31)}1-nohead-fake-runner`;

async function nix(argv: string[]): Promise<string> {
  const child = Bun.spawn(argv, { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  if (code !== 0) throw new Error(`${argv.join(" ")} failed (${code}): ${err}`);
  return out.trim();
}

beforeAll(async () => {
  writeFileSync(outside, `#!/bin/sh\necho harmless\n`);
  chmodSync(outside, 0o755);
  const withLink = join(scratch, "linked-runner");
  mkdirSync(join(withLink, "bin"), { recursive: true });
  symlinkSync(outside, join(withLink, "bin", "run"));
  linked = await addToStore(withLink);
  // The attack: the store keeps the link; the file it points to changes after the add.
  writeFileSync(outside, `#!/bin/sh\ntouch ${marker}\n`);
  const plain = join(scratch, `honest-${Date.now()}`);
  mkdirSync(join(plain, "bin"), { recursive: true });
  writeFileSync(join(plain, "bin", "run"), "#!/bin/sh\nexit 1\n");
  chmodSync(join(plain, "bin", "run"), 0o755);
  honest = await addToStore(plain);
  mkdirSync(join(fake, "bin"), { recursive: true });
  writeFileSync(join(fake, "bin", "run"), `#!/bin/sh\ntouch ${marker}\n`);
  chmodSync(join(fake, "bin", "run"), 0o755);
});

afterAll(() => rmSync(fake, { recursive: true, force: true }));

function machine(runner: string, system: string): ManifestMachine {
  return sampleMachine({ runner, system });
}

/** Starts an agent over real HTTP, sends one start request, stops the agent. */
async function startThrough(options: Parameters<typeof serveAgent>[0], body: unknown) {
  const stateDir = testTempDir("nohead-store-agent-");
  const agent: RunningAgent = serveAgent({ listen: "127.0.0.1:0", token: TOKEN, stateDir, ...options });
  try {
    const res = await fetch(`${agent.url}/v1/vms/start`, {
      method: "POST",
      headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const answer = (await res.json()) as {
      error?: { kind: string; issues?: { path: string; message: string }[] };
      machines?: { machine: string; ok: boolean }[];
    };
    return { status: res.status, answer, stateDir };
  } finally {
    await agent.stop();
  }
}

describe("a running agent refuses runners that are not honest store paths", () => {
  test("a store symlink to a file outside the store never runs", async () => {
    const { status, answer, stateDir } = await startThrough(
      {},
      {
        machines: [machine(`${linked}/bin/run`, linked)],
      },
    );
    expect(status).toBe(400);
    expect(answer.error?.issues).toEqual([
      {
        path: "machines.0.runner",
        message: `${linked}/bin/run resolves to ${outside}, which is not inside a store object`,
      },
    ]);
    expect(existsSync(marker)).toBe(false);
    expect(readdirSync(stateDir)).toEqual([]);
  });

  test("a lookalike directory in the store that Nix never registered never runs", async () => {
    const { status, answer, stateDir } = await startThrough(
      {},
      {
        machines: [machine(`${fake}/bin/run`, fake)],
      },
    );
    expect(status).toBe(400);
    const message = `${fake} is not a valid store path (Nix has not registered it); copy the closure with \`nix copy\``;
    expect(answer.error?.issues).toEqual([
      { path: "machines.0.runner", message },
      { path: "machines.0.system", message },
    ]);
    expect(existsSync(marker)).toBe(false);
    expect(readdirSync(stateDir)).toEqual([]);
  });

  test("a valid store path is accepted (the runner then runs, and fails: it exits 1)", async () => {
    const { status, answer } = await startThrough({}, { machines: [machine(`${honest}/bin/run`, honest)] });
    expect(status).toBe(200);
    expect(answer.machines?.map((m) => [m.machine, m.ok])).toEqual([["web", false]]);
  });
});

describe("saved machines are checked again before they run", () => {
  test("a symlinked runner saved before the checks existed is not restarted", async () => {
    const stateDir = testTempDir("nohead-store-saved-");
    const saved = machine(`${linked}/bin/run`, linked);
    writeFileSync(
      join(stateDir, "manifest.json"),
      JSON.stringify({
        schemaVersion: 1,
        network: { subnet: "10.213.0.0/16" },
        machines: [saved],
        images: [],
      }),
    );
    const agent = serveAgent({ listen: "127.0.0.1:0", token: TOKEN, stateDir });
    try {
      const res = await fetch(`${agent.url}/v1/vms/web/restart`, {
        method: "POST",
        headers: { Authorization: `Bearer ${TOKEN}` },
      });
      expect(res.status).toBe(409);
      expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
        `saved machines may no longer run here: web: ${linked}/bin/run resolves to ${outside}, which is not inside a store object`,
      );
      expect(existsSync(marker)).toBe(false);
    } finally {
      await agent.stop();
    }
  });
});

describe("--only-trusted-runners", () => {
  test("refuses a valid store path nobody signed, accepts it once signed with a trusted key", async () => {
    const secret = join(scratch, "signing.sec");
    writeFileSync(secret, await nix(["nix", "key", "generate-secret", "--key-name", "nohead-test-1"]));
    const publicKey = await nix(["sh", "-c", `nix key convert-secret-to-public < ${secret}`]);
    const dir = join(scratch, `signed-${Date.now()}`);
    mkdirSync(join(dir, "bin"), { recursive: true });
    writeFileSync(join(dir, "bin", "run"), "#!/bin/sh\nexit 1\n");
    chmodSync(join(dir, "bin", "run"), 0o755);
    const object = await addToStore(dir);
    const options = { onlyTrustedRunners: true, trustedPublicKeys: [publicKey] };
    const body = { machines: [machine(`${object}/bin/run`, object)] };

    const unsigned = await startThrough(options, body);
    expect(unsigned.status).toBe(400);
    expect(unsigned.answer.error?.issues?.[0]).toEqual({
      path: "machines.0.runner",
      message: `${object} is not trusted by this agent: 1 path(s) of its closure were neither built here nor signed by a trusted key (${object})`,
    });

    await nix(["nix", "store", "sign", "--key-file", secret, object]);
    const signed = await startThrough(options, body);
    expect(signed.status).toBe(200);

    const otherKey = "other-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=";
    const wrongKey = await startThrough({ ...options, trustedPublicKeys: [otherKey] }, body);
    expect(wrongKey.status).toBe(400);
  });
});

describe("storePathProblems", () => {
  test("relative, outside, escaping or non-store-object paths are refused with the reason", async () => {
    const paths = [
      "abc-run/bin/run",
      "/usr/bin/env",
      `${honest}/../../etc`,
      "/nix/store-evil/x",
      "/nix/store/not-a-hash/bin/run",
      `/nix/store/${"a".repeat(32)}-missing/bin/run`,
    ];
    const problems = await storePathProblems(paths, { storeDir: "/nix/store" });
    expect(problems.slice(0, 5)).toEqual(
      paths.slice(0, 5).map((p) => `must be an absolute path inside a store object of /nix/store, got ${p}`),
    );
    expect(problems[5]).toBe(`${paths[5]} does not exist on the agent's host; copy the closure there first`);
  });

  test("isInside refuses empty, . and .. segments and the directory itself", () => {
    expect(isInside("/nix/store/a/b", "/nix/store")).toBe(true);
    for (const p of [
      "/nix/store",
      "/nix/store/",
      "/nix/store//a",
      "/nix/store/./a",
      "/nix/store/a/../b",
      "/nix/storex/a",
    ]) {
      expect(isInside(p, "/nix/store")).toBe(false);
    }
  });
});
