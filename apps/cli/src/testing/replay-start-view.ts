/**
 * Replays a recorded three-VM start (db, then web-1 and web-2 waiting for it) through the live
 * start view on this terminal, at about the pace of a real one; start-view.test.ts runs it in
 * tmux panes of several widths and reads the screen.
 */
import type { StartProgress } from "@nohead/supervisor";
import { StartView } from "../start-view.ts";

const forwards = [
  { name: "ssh", protocol: "tcp" as const, guestPort: 22, hostPort: 2201, hostAddress: "127.0.0.1" },
];
const event = (machine: string, readiness: StartProgress["readiness"], detail: string): StartProgress => ({
  machine,
  readiness,
  detail,
  forwards: readiness === "starting" ? [] : forwards,
});

const RECORDED: [number, StartProgress][] = [
  [300, event("db", "started", "QEMU runs (pid 4242); waiting for the guest agent on its virtio port")],
  [600, event("db", "booted", "guest agent answers; health checks: ssh, tcp:5432, init-script")],
  [400, event("db", "ready", "")],
  [50, event("web-1", "starting", "db ready")],
  [50, event("web-2", "starting", "db ready")],
  [300, event("web-1", "started", "QEMU runs (pid 4243); waiting for the guest agent on its virtio port")],
  [100, event("web-2", "started", "QEMU runs (pid 4244); waiting for the guest agent on its virtio port")],
  [700, event("web-1", "booted", "guest agent answers; health checks: ssh, http:8080 /healthz, init-script")],
  [100, event("web-2", "booted", "guest agent answers; health checks: ssh, http:8080 /healthz, init-script")],
  [400, event("web-1", "ready", "")],
  [200, event("web-2", "ready", "")],
];

const names = ["db", "web-1", "web-2"];
const view = new StartView(names, { waitsFor: { "web-1": ["db"], "web-2": ["db"] } });
for (const [delay, progress] of RECORDED) {
  await Bun.sleep(delay);
  view.update(progress);
}
view.finish(
  names.map((machine) => ({
    machine,
    ok: true,
    readiness: "ready",
    pid: 1,
    forwards,
    health: [],
    error: null,
    consoleTail: [],
    warnings: [],
    durationMs: 1000,
    alreadyRunning: false,
    outdated: false,
  })),
);
