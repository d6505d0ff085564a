/**
 * The guest's own power-down time, as the floor `nohead stopall` is compared with: QMP
 * `system_powerdown` (the ACPI power button), then polling /proc every 10 ms until QEMU is gone.
 */
import { QmpClient, stopVm } from "@nohead/qemu";
import { isSameProcessAlive } from "@nohead/supervisor";

export interface PowerDownTarget {
  pid: number;
  startTicks: string | null;
  qmpSocket: string;
}

/**
 * Milliseconds from sending `system_powerdown` to the process being gone. When the guest does not
 * power down within `deadlineMs`, the VM is stopped by force and the call rejects.
 *
 * @example
 * const ms = await powerDown({ pid, startTicks, qmpSocket }, 60_000);
 */
export async function powerDown(target: PowerDownTarget, deadlineMs: number): Promise<number> {
  const isAlive = () => isSameProcessAlive(target.pid, target.startTicks);
  const qmp = await QmpClient.connect(target.qmpSocket, { timeoutMs: 5000 });
  let started = performance.now();
  try {
    started = performance.now();
    await qmp.systemPowerdown();
  } catch {
    // QEMU may close QMP as it exits right away: the wait below decides.
  } finally {
    qmp.close();
  }
  while (isAlive()) {
    if (performance.now() - started > deadlineMs) {
      await stopVm({ pid: target.pid, qmpSocket: target.qmpSocket, isAlive }, { powerdownMs: 0 });
      throw new Error(
        `pid ${target.pid} did not power down within ${deadlineMs / 1000} s; stopped it by force`,
      );
    }
    await Bun.sleep(10);
  }
  return performance.now() - started;
}
