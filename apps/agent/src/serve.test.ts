import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serveAgent } from "./serve.ts";
import { generateToken } from "@nohead/hosts";
import { noheadErrorOf } from "@nohead/schema/testing";

const scratch = mkdtempSync(join(tmpdir(), "nohead-serve-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("serving the agent", () => {
  test("over TLS with the given certificate, even on a non-loopback address", async () => {
    const cert = join(scratch, "cert.pem");
    const key = join(scratch, "key.pem");
    const made = Bun.spawnSync(
      ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        .concat(["-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost"])
        .concat(["-addext", "subjectAltName=IP:127.0.0.1"]),
    );
    expect(made.exitCode).toBe(0);
    const token = generateToken();
    const agent = serveAgent({
      listen: "127.0.0.1:0",
      token,
      stateDir: join(scratch, "tls"),
      tlsCert: cert,
      tlsKey: key,
    });
    try {
      expect(agent.url).toStartWith("https://127.0.0.1:");
      const res = await fetch(`${agent.url}/v1/vms`, {
        headers: { Authorization: `Bearer ${token}` },
        tls: { ca: readFileSync(cert, "utf8") },
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ vms: [] });
    } finally {
      await agent.stop();
    }
  });

  test("a certificate without its key (or the reverse) is a usage error", () => {
    const error = noheadErrorOf(() =>
      serveAgent({ listen: "127.0.0.1:0", token: generateToken(), tlsCert: "/x.pem" }),
    );
    expect(error.kind).toBe("usage");
    expect(error.message).toBe("--tls-cert and --tls-key go together");
  });

  test("a network address without TLS is refused before anything opens", () => {
    const stateDir = join(scratch, "never");
    const error = noheadErrorOf(() => serveAgent({ listen: "0.0.0.0:0", token: generateToken(), stateDir }));
    expect(error.kind).toBe("usage");
    expect(() => readFileSync(join(stateDir, "manifest.json"))).toThrow();
  });

  test("reports the state dir, the token source and the URL", async () => {
    const stateDir = join(scratch, "plain");
    const agent = serveAgent({ listen: "127.0.0.1:0", token: generateToken(), stateDir });
    try {
      expect(agent.url).toBe(`http://127.0.0.1:${agent.port}`);
      expect(agent.stateDir).toBe(stateDir);
      expect(agent.tokenSource).toBe("given");
      expect(agent.warnings).toEqual([]);
    } finally {
      await agent.stop();
    }
  });
});
