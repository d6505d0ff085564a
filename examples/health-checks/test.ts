/**
 * The health-checks example, tested: what "ready" promised holds (nginx active, the page
 * written by the init script), and the worker's init script keeps running. Run it in a project
 * built from this example:
 *
 *   nohead test ./test.ts
 */
import { expect, test } from "bun:test";
import { machine } from "nohead/test";

const web = machine("web");
const worker = machine("worker");

test("web serves the page its init script wrote", async () => {
  await web.waitForUnit("nginx.service");
  await web.waitForOpenPort(80);
  expect(await web.succeed("curl -sf http://localhost/")).toBe("served by web\n");
});

test("worker's init script runs and writes a heartbeat every 5 seconds", async () => {
  await worker.waitForUnit("script-at-boot.service");
  await worker.waitUntilSucceeds("test $(wc -l < /home/nixy/heartbeat.txt) -ge 2", { timeoutMs: 60_000 });
});

test("worker has no sshd, as configured", async () => {
  await worker.waitForClosedPort(22);
  await worker.fail("systemctl is-active sshd");
});
