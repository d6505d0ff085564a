import { describe, expect, test } from "bun:test";
import { QmpMessage } from "./qmp-message.ts";

describe("QmpMessage", () => {
  test("tags each kind of server message by the key it carries", () => {
    // Lines as QEMU 7.2 sent them.
    const lines = [
      '{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": "Debian 1:7.2+dfsg-7+deb12u18+b3"}, "capabilities": ["oob"]}}',
      '{"return": {"status": "prelaunch", "singlestep": false, "running": false}, "id": 7}',
      '{"id": 3, "error": {"class": "CommandNotFound", "desc": "The command nosuch has not been found"}}',
      '{"timestamp": {"seconds": 1795301283, "microseconds": 697492}, "event": "SHUTDOWN", "data": {"guest": false, "reason": "host-qmp-quit"}}',
      '{"return": {}}',
    ];
    expect(lines.map((line) => QmpMessage.parse(JSON.parse(line)))).toEqual([
      {
        kind: "greeting",
        QMP: {
          version: { qemu: { major: 7, minor: 2, micro: 22 }, package: "Debian 1:7.2+dfsg-7+deb12u18+b3" },
          capabilities: ["oob"],
        },
      },
      { kind: "return", return: { status: "prelaunch", singlestep: false, running: false }, id: 7 },
      {
        kind: "error",
        error: { class: "CommandNotFound", desc: "The command nosuch has not been found" },
        id: 3,
      },
      {
        kind: "event",
        event: "SHUTDOWN",
        data: { guest: false, reason: "host-qmp-quit" },
        timestamp: { seconds: 1795301283, microseconds: 697492 },
      },
      { kind: "return", return: {} },
    ]);
  });

  test("rejects what is not a QMP message", () => {
    for (const value of [null, [], "text", 3, {}, { hello: 1 }, { error: "no class" }, { event: "X" }]) {
      expect(QmpMessage.safeParse(value).success).toBe(false);
    }
  });
});
