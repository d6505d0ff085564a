import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isOwnPeer, peerCredentials } from "./peer-credentials.ts";

const OTHER_UID = 64_006;
const REPO_ROOT = join(import.meta.dir, "../../..");
// Traversable by the other uid, so it can connect at all: the point is what the server sees.
const dir = mkdtempSync(join(tmpdir(), "nohead-peer-"));
chmodSync(dir, 0o711);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A Bun.listen server that records each accepted peer and hangs up on other users. */
function server(path: string) {
  const seen: { uid: number | undefined; own: boolean }[] = [];
  const listener = Bun.listen({
    unix: path,
    socket: {
      open(socket) {
        const own = isOwnPeer(socket);
        seen.push({ uid: peerCredentials(socket)?.uid, own });
        if (!own) socket.terminate();
      },
      data() {},
    },
  });
  chmodSync(path, 0o777);
  return { seen, listener };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`${what} within 10 s`);
    await Bun.sleep(10);
  }
}

describe("the peer of an accepted Unix connection", () => {
  test("is this process's user for a connection of ours, with our pid", async () => {
    const path = join(dir, "own.sock");
    const { seen, listener } = server(path);
    try {
      const client = await Bun.connect({ unix: path, socket: { data() {} } });
      await until(() => seen.length === 1, "no connection accepted");
      expect(seen[0]).toEqual({ uid: process.getuid?.(), own: true });
      client.end();
    } finally {
      listener.stop(true);
    }
  });

  test("another user connecting is seen as that uid and hung up on", async () => {
    const path = join(dir, "other.sock");
    const { seen, listener } = server(path);
    try {
      // The server may hang up before the client's connect completes (a reset) or just after it.
      const script = `try {
          await Bun.connect({ unix: ${JSON.stringify(path)}, socket: { data() {}, close() { console.log("closed"); process.exit(0); } } });
          await Bun.sleep(3000);
          console.log("still open");
        } catch (error) { console.log("reset: " + error.code); }`;
      const client = Bun.spawn(
        ["setpriv", `--reuid=${OTHER_UID}`, `--regid=${OTHER_UID}`, "--clear-groups", "bun", "-e", script],
        {
          cwd: REPO_ROOT,
          env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir },
          stdout: "pipe",
          stderr: "pipe",
        },
      );
      await until(() => seen.length === 1, "no connection accepted");
      expect(seen[0]).toEqual({ uid: OTHER_UID, own: false });
      await client.exited;
      expect(await new Response(client.stdout).text()).toMatch(/^(closed|reset: ECONNRESET)\n$/);
    } finally {
      listener.stop(true);
    }
  });

  test("something without a file descriptor has no credentials and is not our peer", () => {
    expect(peerCredentials({})).toBeNull();
    expect(isOwnPeer({ fd: -1 })).toBe(false);
  });
});
