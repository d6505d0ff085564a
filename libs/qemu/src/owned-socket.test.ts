import { afterAll, describe, expect, test } from "bun:test";
import { chownSync, existsSync, lstatSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { noheadErrorOf, rejectionOf } from "@nohead/schema/testing";
import { GuestAgentClient } from "./guest-agent-client.ts";
import { assertOwnedSocket, bindPrivately, removeStaleSocket, socketTrustProblem } from "./owned-socket.ts";
import { QemuConnectError } from "./qemu-errors.ts";
import { QmpClient } from "./qmp-client.ts";
import { FakeGuestAgent } from "./testing/fake-guest-agent.ts";
import { FakeQmpServer } from "./testing/fake-qmp-server.ts";

const OTHER_UID = 64_002;
const scratch = mkdtempSync(join(tmpdir(), "nohead-owned-socket-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A listening Unix socket of ours at `path`. */
function listenAt(path: string) {
  return Bun.listen({ unix: path, socket: { data() {} } });
}

describe("clients trust only sockets of their own user", () => {
  test("a QMP socket that belongs to another user is refused before anything is sent", async () => {
    // Another user's server where the VM's QMP socket should be: it would answer stop and exec.
    const fake = await FakeQmpServer.start();
    try {
      chownSync(fake.path, OTHER_UID, OTHER_UID);
      const error = await rejectionOf(QmpClient.connect(fake.path, { timeoutMs: 2000 }));
      expect(error).toBeInstanceOf(QemuConnectError);
      expect((error as QemuConnectError).reason).toBe("untrusted");
      expect((error as QemuConnectError).message).toBe(
        `refusing the QMP socket ${fake.path}: it belongs to uid ${OTHER_UID}, not to you (uid ${process.getuid?.()}); another user may be impersonating the VM (remove it, and check who made it)`,
      );
      expect(fake.connections).toBe(0);
    } finally {
      await fake.close();
    }
  });

  test("so is another user's guest-agent socket, and a symbolic link to a socket of ours", async () => {
    const fake = await FakeGuestAgent.start();
    try {
      const link = join(scratch, "qga-link");
      symlinkSync(fake.path, link);
      const viaLink = await rejectionOf(GuestAgentClient.connect(link, { timeoutMs: 2000 }));
      expect((viaLink as QemuConnectError).reason).toBe("untrusted");
      expect((viaLink as QemuConnectError).message).toContain("it is a symbolic link, not a socket");
      chownSync(fake.path, OTHER_UID, OTHER_UID);
      const foreign = await rejectionOf(GuestAgentClient.connect(fake.path, { timeoutMs: 2000 }));
      expect((foreign as QemuConnectError).reason).toBe("untrusted");
    } finally {
      await fake.close();
    }
  });

  test("a missing socket is still reported as missing; a file is not a socket", async () => {
    const missing = await rejectionOf(QmpClient.connect(join(scratch, "none"), { timeoutMs: 1000 }));
    expect((missing as QemuConnectError).reason).toBe("no-socket");
    const file = join(scratch, "plain-file");
    writeFileSync(file, "");
    expect(socketTrustProblem(file)).toBe("it is not a socket");
    const error = noheadErrorOf(() => assertOwnedSocket(file, "the console socket of web-1"));
    expect(error.kind).toBe("failed");
    expect(error.message).toBe(`refusing the console socket of web-1 ${file}: it is not a socket`);
  });
});

describe("servers", () => {
  test("bind with umask 077 (the socket is 0700 whatever the umask), which is restored after", () => {
    const previous = process.umask(0o022);
    const path = join(scratch, "private.sock");
    try {
      const server = bindPrivately(() => Bun.serve({ unix: path, fetch: () => new Response("ok") }));
      expect(lstatSync(path).mode & 0o777).toBe(0o700);
      expect(process.umask()).toBe(0o022);
      server.stop(true);
    } finally {
      process.umask(previous);
    }
  });

  test("remove a stale socket only when it is a socket of ours", () => {
    const ours = join(scratch, "stale.sock");
    // Bun removes its socket when it stops; a killed server leaves it, as this one's stays here.
    const left = listenAt(ours);
    expect(removeStaleSocket(ours)).toBe(true);
    expect(existsSync(ours)).toBe(false);
    left.stop(true);
    expect(removeStaleSocket(join(scratch, "never"))).toBe(false);
    const theirs = join(scratch, "theirs.sock");
    const other = listenAt(theirs);
    try {
      chownSync(theirs, OTHER_UID, OTHER_UID);
      const error = noheadErrorOf(() => removeStaleSocket(theirs));
      expect(error.kind).toBe("conflict");
      expect(error.message).toBe(
        `${theirs} is not a socket of yours (it belongs to uid ${OTHER_UID}, not to you (uid ${process.getuid?.()})); leaving it alone`,
      );
      expect(lstatSync(theirs).isSocket()).toBe(true);
    } finally {
      other.stop(true);
    }
    const file = join(scratch, "not-a-socket");
    writeFileSync(file, "keep me");
    expect(noheadErrorOf(() => removeStaleSocket(file)).kind).toBe("conflict");
    expect(lstatSync(file).isFile()).toBe(true);
  });
});
