import { afterAll, describe, expect, test } from "bun:test";
import { createServer, type Server } from "node:net";
import { probeSshBanner, probeTcpForward } from "./health-checks.ts";

const servers: Server[] = [];
afterAll(() => {
  for (const s of servers) s.close();
});

async function listen(onConnection: (socket: import("node:net").Socket) => void): Promise<number> {
  const server = createServer(onConnection);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as { port: number }).port;
}

describe("probeSshBanner", () => {
  test("accepts an SSH identification line", async () => {
    const port = await listen((s) => s.write("SSH-2.0-dropbear_2022.83\r\n"));
    expect(await probeSshBanner("127.0.0.1", port, 2000)).toEqual({
      ok: true,
      detail: "SSH-2.0-dropbear_2022.83",
    });
  });

  test("rejects another protocol, a closed connection, and silence (at its deadline)", async () => {
    const http = await listen((s) => s.write("HTTP/1.1 400 Bad Request\r\n"));
    expect((await probeSshBanner("127.0.0.1", http, 2000)).ok).toBe(false);
    const closing = await listen((s) => s.destroy());
    expect(await probeSshBanner("127.0.0.1", closing, 2000)).toEqual({
      ok: false,
      detail: "connection closed before an SSH banner",
    });
    const silent = await listen(() => undefined);
    expect(await probeSshBanner("127.0.0.1", silent, 200)).toEqual({
      ok: false,
      detail: "no SSH banner within 200 ms",
    });
  });
});

describe("probeTcpForward", () => {
  test("a connection closed at once (what user networking does when nothing listens in the guest) is unhealthy", async () => {
    const port = await listen((s) => s.destroy());
    const result = await probeTcpForward("127.0.0.1", port, 300);
    expect(result.ok).toBe(false);
    expect(result.detail).toContain(`port ${port}`);
  });

  test("a connection held open, or one that sends data, is healthy", async () => {
    const held = await listen(() => undefined);
    expect(await probeTcpForward("127.0.0.1", held, 200)).toEqual({
      ok: true,
      detail: `port ${held} accepted and held the connection`,
    });
    const talking = await listen((s) => s.write("hello"));
    expect(await probeTcpForward("127.0.0.1", talking, 2000)).toEqual({
      ok: true,
      detail: `port ${talking} answered`,
    });
  });
});
