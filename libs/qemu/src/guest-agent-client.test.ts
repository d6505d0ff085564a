import { afterEach, describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GuestAgentClient } from "./guest-agent-client.ts";
import { QemuTimeoutError } from "./qemu-errors.ts";
import { FakeJsonServer } from "./testing/fake-json-server.ts";

let server: FakeJsonServer | undefined;
afterEach(() => server?.close());

type Request = { execute: string; arguments?: Record<string, unknown> };

/** A fake agent: `answer` maps each request to a reply (or undefined for none). */
async function fakeAgent(answer: (request: Request) => unknown): Promise<FakeJsonServer> {
  server = await FakeJsonServer.start();
  let handled = 0;
  const loop = async () => {
    while (server) {
      await server.waitForMessages(handled + 1, 60_000).catch(() => undefined);
      while (handled < server.received.length) {
        const reply = answer(server.received[handled] as Request);
        handled++;
        if (reply !== undefined)
          server.write(typeof reply === "string" ? reply : `${JSON.stringify(reply)}\n`);
      }
    }
  };
  void loop();
  return server;
}

describe("GuestAgentClient against a fake agent", () => {
  test("sync skips a stale reply left by an earlier client, then ping works", async () => {
    const fake = await fakeAgent((r) => {
      if (r.execute === "guest-sync-delimited") {
        // A stale reply first, then 0xFF and ours.
        return `{"return": 12345}\n\xff${JSON.stringify({ return: r.arguments?.id })}\n`;
      }
      if (r.execute === "guest-ping") return { return: {} };
      return undefined;
    });
    const agent = await GuestAgentClient.connect(fake.path, { timeoutMs: 2000 });
    await agent.ping();
    expect((fake.received as Request[]).map((r) => r.execute)).toEqual([
      "guest-sync-delimited",
      "guest-ping",
    ]);
    agent.close();
  });

  test("exec polls guest-exec-status until exited and decodes base64 output", async () => {
    let polls = 0;
    const fake = await fakeAgent((r) => {
      switch (r.execute) {
        case "guest-sync-delimited":
          return { return: r.arguments?.id };
        case "guest-exec":
          return { return: { pid: 42 } };
        case "guest-exec-status":
          polls++;
          return polls < 3
            ? { return: { exited: false } }
            : {
                return: {
                  exited: true,
                  exitcode: 7,
                  "out-data": Buffer.from("hello\n").toString("base64"),
                  "err-data": Buffer.from("oops\n").toString("base64"),
                },
              };
        default:
          return undefined;
      }
    });
    const agent = await GuestAgentClient.connect(fake.path, { timeoutMs: 2000 });
    expect(await agent.exec("/bin/sh", ["-c", "echo hello; echo oops >&2; exit 7"])).toEqual({
      exitCode: 7,
      signal: null,
      stdout: "hello\n",
      stderr: "oops\n",
    });
    const exec = (fake.received as Request[]).find((r) => r.execute === "guest-exec");
    expect(exec?.arguments).toEqual({
      path: "/bin/sh",
      arg: ["-c", "echo hello; echo oops >&2; exit 7"],
      "capture-output": true,
    });
    expect(polls).toBe(3);
    agent.close();
  });

  test("readFile reads until eof and closes the handle", async () => {
    const chunks = ["exi", "ted 0\n"];
    const fake = await fakeAgent((r) => {
      switch (r.execute) {
        case "guest-sync-delimited":
          return { return: r.arguments?.id };
        case "guest-file-open":
          return { return: 5 };
        case "guest-file-read": {
          const chunk = chunks.shift() ?? "";
          return {
            return: {
              count: chunk.length,
              "buf-b64": Buffer.from(chunk).toString("base64"),
              eof: chunks.length === 0,
            },
          };
        }
        case "guest-file-close":
          return { return: {} };
        default:
          return undefined;
      }
    });
    const agent = await GuestAgentClient.connect(fake.path, { timeoutMs: 2000 });
    expect(await agent.readFile("/run/nohead/init-status")).toBe("exited 0\n");
    const calls = (fake.received as Request[]).map((r) => r.execute);
    expect(calls).toEqual([
      "guest-sync-delimited",
      "guest-file-open",
      "guest-file-read",
      "guest-file-read",
      "guest-file-close",
    ]);
    agent.close();
  });

  test("an error reply rejects with the agent's message", async () => {
    const fake = await fakeAgent((r) =>
      r.execute === "guest-sync-delimited"
        ? { return: r.arguments?.id }
        : { error: { class: "GenericError", desc: "Failed to execute child process" } },
    );
    const agent = await GuestAgentClient.connect(fake.path, { timeoutMs: 2000 });
    try {
      await agent.exec("/nonexistent", []);
      throw new Error("should have failed");
    } catch (error) {
      expect((error as Error).message).toBe(
        "guest agent guest-exec failed: GenericError: Failed to execute child process",
      );
    }
    agent.close();
  });
});

describe("GuestAgentClient against real QEMU with no guest", () => {
  test("the channel connects but nothing answers: connect fails at its deadline, naming the command", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nohead-qga-"));
    const socket = join(dir, "qga");
    const qemu = spawn(
      "qemu-system-x86_64",
      [
        "-machine",
        "accel=tcg",
        "-display",
        "none",
        "-nodefaults",
        "-S",
        "-device",
        "virtio-serial",
        "-chardev",
        `socket,id=qga0,path=${socket},server=on,wait=off`,
        "-device",
        "virtserialport,chardev=qga0,name=org.qemu.guest_agent.0",
      ],
      { stdio: "ignore" },
    );
    try {
      const deadline = performance.now() + 10_000;
      while (!existsSync(socket) && performance.now() < deadline) await Bun.sleep(50);
      try {
        await GuestAgentClient.connect(socket, { timeoutMs: 500 });
        throw new Error("should have timed out");
      } catch (error) {
        expect(error).toBeInstanceOf(QemuTimeoutError);
        expect((error as QemuTimeoutError).what).toBe("guest agent guest-sync-delimited");
      }
    } finally {
      qemu.kill("SIGKILL");
    }
  });
});
