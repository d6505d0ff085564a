import { expect, test } from "bun:test";
import { qemuExit } from "./qemu-exit.ts";

test("an exit is clean when the guest powered off or QEMU was told to quit; a kill or a panic is a failure", () => {
  expect(qemuExit({ guest: true, reason: "guest-shutdown" })).toEqual({
    clean: true,
    byGuest: true,
    reason: "the guest powered off",
  });
  expect(qemuExit({ guest: false, reason: "host-qmp-quit" })).toMatchObject({ clean: true, byGuest: false });
  expect(qemuExit({ guest: false, reason: "host-signal" })).toMatchObject({
    clean: false,
    reason: "QEMU was ended by a signal",
  });
  expect(qemuExit({ guest: true, reason: "guest-panic" })).toMatchObject({ clean: false, byGuest: true });
  expect(qemuExit(null)).toEqual({
    clean: false,
    byGuest: false,
    reason: "QEMU exited without shutting down (killed or crashed)",
  });
  expect(qemuExit({ guest: false, reason: "host-error" }).reason).toBe("QEMU shut down (host-error)");
});
