/**
 * The server-client example, tested: the client reaches the server by name over the private
 * network, the server is reachable from the host through its forward, and unplugging the
 * server's cable cuts the client off. Run it in a project built from this example:
 *
 *   nohead test ./test.ts
 */
import { expect, test } from "bun:test";
import { fleet, machine } from "nohead/test";

const server = machine("server");
const client = machine("client");

test("the server answers on 8000, in the guest and through its host forward", async () => {
  await server.waitForUnit("script-at-boot.service");
  await server.waitForOpenPort(8000);
  expect(await server.succeed("curl -sf http://localhost:8000/")).toMatch(
    /^hello from server, request \d+$/m,
  );
  const http = fleet.status(["server"])[0]?.forwards.find((f) => f.name === "http");
  expect(http?.hostPort).toBeGreaterThan(0);
  const response = await fetch(`http://127.0.0.1:${http?.hostPort}/`);
  expect(await response.text()).toContain("hello from server");
});

test("the client reached the server by its name", async () => {
  await client.waitUntilSucceeds("grep -q '5:' /home/nixy/client-output.txt");
  const output = await client.succeed("cat /home/nixy/client-output.txt");
  expect(output).toContain("1: hello from server");
  expect(output).not.toContain("failed");
  expect(await client.succeed("getent hosts server")).toMatch(/^10\.213\./);
});

test("without the cable the client cannot reach the server; with it again, it can", async () => {
  await server.block();
  await client.fail("curl -sf --max-time 3 http://server:8000/");
  await server.unblock();
  await client.waitUntilSucceeds("curl -sf --max-time 3 http://server:8000/", { timeoutMs: 30_000 });
});
