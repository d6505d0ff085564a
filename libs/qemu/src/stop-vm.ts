/**
 * Stops a VM by escalation, each step bounded: ACPI power-down over QMP (the guest shuts down
 * cleanly) → QMP `quit` → SIGTERM → SIGKILL. The result says which step ended it.
 */
import type { StopMethod } from "@nohead/schema";
import { QmpClient } from "./qmp-client.ts";

export interface StopTarget {
  pid: number;
  qmpSocket: string;
  isAlive: () => boolean;
}

export interface StopOptions {
  /** How long the guest gets to power down after the ACPI request. Default 30 s. */
  powerdownMs?: number;
  /** How long each later step waits. Default 5 s. */
  stepMs?: number;
}

export interface StopResult {
  method: StopMethod;
  durationMs: number;
}

async function waitGone(isAlive: () => boolean, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (isAlive()) {
    if (performance.now() >= deadline) return false;
    await Bun.sleep(50);
  }
  return true;
}

/**
 * Stops the VM; resolves with the step that ended it. Throws only when even SIGKILL failed.
 *
 * @example
 * const { method } = await stopVm({ pid, qmpSocket, isAlive }); // method: "powerdown"
 */
export async function stopVm(target: StopTarget, options: StopOptions = {}): Promise<StopResult> {
  const { powerdownMs = 30_000, stepMs = 5_000 } = options;
  const started = performance.now();
  const result = (method: StopMethod): StopResult => ({ method, durationMs: performance.now() - started });
  if (!target.isAlive()) return result("already-stopped");

  let qmp: QmpClient | undefined;
  try {
    qmp = await QmpClient.connect(target.qmpSocket, { timeoutMs: 2000 });
  } catch {
    qmp = undefined; // QMP is gone or wedged: go straight to signals.
  }
  try {
    if (qmp) {
      try {
        await qmp.systemPowerdown();
        if (await waitGone(target.isAlive, powerdownMs)) return result("powerdown");
      } catch {
        // The connection may drop as QEMU exits; the wait below decides.
        if (await waitGone(target.isAlive, stepMs)) return result("powerdown");
      }
      try {
        await qmp.quit();
      } catch {
        // QEMU closes QMP as it quits.
      }
      if (await waitGone(target.isAlive, stepMs)) return result("quit");
    }
  } finally {
    qmp?.close();
  }
  for (const [signal, method] of [
    ["SIGTERM", "sigterm"],
    ["SIGKILL", "sigkill"],
  ] as const) {
    try {
      process.kill(target.pid, signal);
    } catch {
      // Already gone.
    }
    if (await waitGone(target.isAlive, stepMs)) return result(method);
  }
  throw new Error(`process ${target.pid} survived SIGKILL for ${stepMs} ms`);
}
