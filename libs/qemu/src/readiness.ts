/**
 * Waits for a VM to climb the readiness levels, each with its own deadline:
 * `started` (QMP answers and says running) → `booted` (the guest agent answers) → `ready`
 * (every declared health check passes). Gives up early when QEMU exits, and always says what
 * it waited for.
 */
import type { BoundForward, Health, HealthResult } from "@nohead/schema";
import { INIT_STATUS_FILE } from "@nohead/schema/guest-contract";
import { GuestAgentClient } from "./guest-agent-client.ts";
import { probeSshBanner, probeTcpForward } from "./health-checks.ts";
import { QmpClient } from "./qmp-client.ts";
import { QemuConnectError } from "./qemu-errors.ts";

export type ReadinessLevel = "started" | "booted" | "ready";

export class ReadinessError extends Error {
  override name = "ReadinessError";
  constructor(
    message: string,
    readonly level: ReadinessLevel,
    readonly waitedMs: number,
    readonly health: HealthResult[] = [],
  ) {
    super(message);
  }
}

export interface ReadinessInput {
  sockets: { qmp: string; guestAgent: string };
  health: Health;
  /** Forwards with their host ports resolved by {@link waitForStarted}. */
  forwards: BoundForward[];
  /** Whether QEMU still runs; checked between attempts so a dead VM fails at once. */
  isAlive: () => boolean;
  /** Why QEMU died, when it did (e.g. the tail of its own log). */
  deathReason: () => string;
  onHealth?: (results: HealthResult[]) => void;
}

/**
 * Between two attempts at a level. A failed attempt is cheap (a refused or closed connection), and
 * every 100 ms is what the bare launcher nohead is measured against polls at: 250 ms added ~75 ms
 * on average at each level.
 */
const POLL_MS = 100;

async function retryUntil<T>(
  level: ReadinessLevel,
  what: string,
  deadlineMs: number,
  input: Pick<ReadinessInput, "isAlive" | "deathReason">,
  attempt: (remainingMs: number) => Promise<T | undefined>,
): Promise<T> {
  const started = performance.now();
  let lastError = "";
  for (;;) {
    if (!input.isAlive()) {
      throw new ReadinessError(
        `QEMU exited while waiting for ${what}: ${input.deathReason()}`,
        level,
        performance.now() - started,
      );
    }
    const remaining = deadlineMs - (performance.now() - started);
    if (remaining <= 0) {
      throw new ReadinessError(
        `not ${level} after ${(deadlineMs / 1000).toFixed(0)} s: ${what} did not succeed${lastError ? ` (last: ${lastError})` : ""}`,
        level,
        performance.now() - started,
      );
    }
    try {
      const value = await attempt(Math.min(remaining, 5000));
      if (value !== undefined) return value;
    } catch (error) {
      // Waiting cannot make another user's socket ours.
      if (error instanceof QemuConnectError && error.reason === "untrusted") throw error;
      lastError = error instanceof Error ? error.message : String(error);
    }
    await Bun.sleep(POLL_MS);
  }
}

/**
 * Level `started`: QMP answers and reports the VM running; returns the QMP client (kept for
 * later use) and the forwards with the host ports QEMU actually bound.
 */
export async function waitForStarted(
  input: Omit<ReadinessInput, "forwards"> & {
    forwards: {
      name: string;
      protocol: "tcp" | "udp";
      guestPort: number;
      hostPort: number | null;
      hostAddress: string;
    }[];
  },
): Promise<{ qmp: QmpClient; forwards: BoundForward[] }> {
  const deadline = input.health.deadlines.startedSeconds * 1000;
  const qmp = await retryUntil("started", "QMP to answer", deadline, input, (remaining) =>
    QmpClient.connect(input.sockets.qmp, { timeoutMs: remaining }),
  );
  try {
    await retryUntil("started", "QEMU to report running", deadline, input, async () => {
      const status = await qmp.queryStatus();
      return status.running ? true : undefined;
    });
    const bound = await qmp.hostForwards();
    const forwards = input.forwards.map((f) => {
      const match = bound.find(
        (b) =>
          b.protocol === f.protocol &&
          b.guestPort === f.guestPort &&
          (f.hostPort === null || b.hostPort === f.hostPort),
      );
      return { ...f, hostPort: match?.hostPort ?? f.hostPort ?? 0 };
    });
    return { qmp, forwards };
  } catch (error) {
    qmp.close();
    throw error;
  }
}

/** Level `booted`: the guest agent answers a ping. Returns the connected client. */
export async function waitForBooted(input: ReadinessInput): Promise<GuestAgentClient> {
  return retryUntil(
    "booted",
    "the guest agent to answer",
    input.health.deadlines.bootedSeconds * 1000,
    input,
    async (remaining) => {
      const agent = await GuestAgentClient.connect(input.sockets.guestAgent, {
        timeoutMs: Math.min(remaining, 3000),
      });
      try {
        await agent.ping({ timeoutMs: Math.min(remaining, 3000) });
        return agent;
      } catch (error) {
        agent.close();
        throw error;
      }
    },
  );
}

/** `: <the output's first 200 characters>`, or ` (no output)`. */
function outputOf(run: { stdout: string; stderr: string }): string {
  const output = (run.stderr || run.stdout).trim();
  return output ? `: ${output.slice(0, 200)}` : " (no output)";
}

/**
 * Runs every declared health check once; each probe and the command get `timeoutMs` (default:
 * 3 s per probe, 10 s for the command). `agent` may be null when it does not answer: the checks
 * that need it fail saying so.
 */
export async function runHealthChecks(
  input: Pick<ReadinessInput, "health" | "forwards">,
  agent: GuestAgentClient | null,
  { timeoutMs }: { timeoutMs?: number } = {},
): Promise<HealthResult[]> {
  const { health, forwards } = input;
  const noAgent = "the guest agent does not answer";
  const results: HealthResult[] = [];
  if (health.ssh) {
    const ssh = forwards.find((f) => f.name === "ssh");
    results.push(
      ssh
        ? { check: "ssh", ...(await probeSshBanner(ssh.hostAddress, ssh.hostPort, timeoutMs ?? 3000)) }
        : { check: "ssh", ok: false, detail: "no ssh forward" },
    );
  }
  for (const port of health.tcp) {
    const forward = forwards.find((f) => f.protocol === "tcp" && f.guestPort === port);
    results.push(
      forward
        ? { check: `tcp:${port}`, ...(await probeTcpForward(forward.hostAddress, forward.hostPort)) }
        : { check: `tcp:${port}`, ok: false, detail: `guest port ${port} has no forward` },
    );
  }
  if (health.initScript) {
    const status = agent ? await readInitStatus(agent) : null;
    results.push({
      check: "init-script",
      ok: status !== null,
      detail: status ?? (agent ? "not started yet" : noAgent),
    });
  }
  if (health.command) {
    if (!agent) {
      results.push({ check: "command", ok: false, detail: noAgent });
      return results;
    }
    const run = await agent.exec("/bin/sh", ["-c", health.command], { timeoutMs: timeoutMs ?? 10_000 });
    results.push({
      check: "command",
      ok: run.exitCode === 0,
      detail: run.exitCode === 0 ? "exit 0" : `exit ${run.exitCode}${outputOf(run)}`,
    });
  }
  return results;
}

/** The guest's /run/nohead/init-status ("started", "exited 0", …), or null before the init script ran. */
export async function readInitStatus(agent: GuestAgentClient): Promise<string | null> {
  try {
    return (await agent.readFile(INIT_STATUS_FILE, { timeoutMs: 3000 })).trim() || null;
  } catch {
    return null;
  }
}

/**
 * A failed check as a sentence: which check, what it ran, what it got.
 *
 * @example
 * failedCheckSentence({ check: "command", ok: false, detail: "exit 1 (no output)" }, input)
 * // => "the command check ran `curl -f localhost:8080` in the guest and got exit 1 (no output)"
 */
function failedCheckSentence(
  result: HealthResult,
  { health, forwards }: Pick<ReadinessInput, "health" | "forwards">,
): string {
  const { check, detail } = result;
  if (check === "ssh") {
    const ssh = forwards.find((f) => f.name === "ssh");
    return ssh
      ? `the ssh check waited for an SSH banner on ${ssh.hostAddress}:${ssh.hostPort} and got: ${detail}`
      : `the ssh check found ${detail}`;
  }
  if (check.startsWith("tcp:")) {
    const port = Number(check.slice(4));
    const forward = forwards.find((f) => f.protocol === "tcp" && f.guestPort === port);
    return forward
      ? `the ${check} check connected to guest port ${port} through ${forward.hostAddress}:${forward.hostPort} and got: ${detail}`
      : `the ${check} check found ${detail}`;
  }
  if (check === "init-script")
    return `the init-script check read ${INIT_STATUS_FILE} in the guest and got: ${detail}`;
  if (check === "command")
    return `the command check ran \`${health.command}\` in the guest and got ${detail}`;
  return `the ${check} check got: ${detail}`;
}

/** Level `ready`: every health check passes. Returns the last results. */
export async function waitForReady(input: ReadinessInput, agent: GuestAgentClient): Promise<HealthResult[]> {
  let last: HealthResult[] = [];
  try {
    return await retryUntil(
      "ready",
      "every health check",
      input.health.deadlines.readySeconds * 1000,
      input,
      async () => {
        last = await runHealthChecks(input, agent);
        input.onHealth?.(last);
        return last.every((r) => r.ok) ? last : undefined;
      },
    );
  } catch (error) {
    if (error instanceof ReadinessError) {
      const failing = last.filter((r) => !r.ok).map((r) => failedCheckSentence(r, input));
      const deadline = `not ready after ${input.health.deadlines.readySeconds} s`;
      throw new ReadinessError(
        failing.length > 0 && error.message.startsWith(deadline)
          ? `${deadline}: ${failing.join("; ")}`
          : error.message,
        error.level,
        error.waitedMs,
        last,
      );
    }
    throw error;
  }
}
