/**
 * A machine of a running fleet, driven the way the NixOS test driver drives one: commands as root,
 * bounded waits, files in and out, the screen and keyboard, the network cable, power. Commands and
 * files go through the guest agent (no SSH, no shared directory); the screen, keys, cable and
 * power through QMP or the fleet. Every method logs what it does or waits for, has a deadline
 * (`{ timeoutMs }` overrides the default), and fails with a {@link MachineError} naming what it
 * waited for and the last thing it saw.
 */
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import {
  GuestAgentClient,
  GuestExecError,
  PRIVATE_NETDEV_ID,
  QmpClient,
  QmpCommandError,
} from "@nohead/qemu";
import { usageError } from "@nohead/schema";
import { consoleTail, type Fleet, isSameProcessAlive, vmPaths } from "@nohead/supervisor";
import { readGuestFile, writeGuestFile } from "./guest-file-copy.ts";
import { combinationOf, keysOf } from "./key-codes.ts";
import { LISTENING_PORTS_COMMAND, listeningPorts } from "./listening-ports.ts";
import { MachineError, type MachineFailure } from "./machine-error.ts";
import { pollUntil } from "./poll-until.ts";
import { shellQuote } from "./shell-quote.ts";

/** What a command returned. */
export interface CommandResult {
  /** Exit status; 128 + the signal number when a signal ended it (as a shell reports it). */
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** The deadline of one call, in milliseconds. */
export interface Deadline {
  timeoutMs?: number;
}

export interface MachineOptions {
  /** Default deadline of commands and copies (`succeed`, `execute`, `copyFromVm`…): 120000. */
  commandTimeoutMs?: number;
  /** Default deadline of waits (`waitFor…`, `waitUntil…`, `start`, `shutdown`): 300000. */
  waitTimeoutMs?: number;
  /** Where log lines go (default: stderr). */
  log?: (line: string) => void;
}

/**
 * The environment of guest commands. The agent passes no environment of its own, and NixOS
 * keeps its programs under /run/current-system/sw: this PATH finds them there and on other Linux.
 */
const GUEST_ENV = {
  PATH: "/run/wrappers/bin:/run/current-system/sw/bin:/run/current-system/sw/sbin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  HOME: "/root",
  USER: "root",
  LOGNAME: "root",
};

/** Deadline to connect to a control socket (QMP answers at once; the agent only when booted). */
const CONNECT_MS = 5000;
/** Pause between keys, as the test driver's `send_key` does. */
const KEY_DELAY_MS = 10;

/**
 * @example
 * const server = machine("server");
 * await server.waitForOpenPort(80);
 * const page = await machine("client").succeed("curl -sf http://server/");
 * await server.block();
 * await machine("client").fail("curl -sf --max-time 3 http://server/");
 */
export class Machine {
  readonly commandTimeoutMs: number;
  readonly waitTimeoutMs: number;
  private readonly log: (line: string) => void;
  /** Where this boot's output starts in the console log (the log is appended across boots). */
  private consoleFrom = 0;
  /** The guest agent serves one client at a time: this machine's calls take turns. */
  private agentTurn: Promise<unknown> = Promise.resolve();

  constructor(
    readonly fleet: Fleet,
    readonly name: string,
    options: MachineOptions = {},
  ) {
    const {
      commandTimeoutMs = 120_000,
      waitTimeoutMs = 300_000,
      log = (line) => process.stderr.write(`${line}\n`),
    } = options;
    this.commandTimeoutMs = commandTimeoutMs;
    this.waitTimeoutMs = waitTimeoutMs;
    this.log = log;
  }

  private get paths() {
    return vmPaths(this.fleet.project, this.name);
  }

  // --- commands -------------------------------------------------------------------------------

  /**
   * Runs `command` with `sh -c` as root; resolves with its exit code and output whatever the
   * exit code. (test driver: `execute`)
   *
   * @example
   * const { exitCode, stdout } = await web.execute("systemctl is-active nginx");
   */
  execute(command: string, { timeoutMs = this.commandTimeoutMs }: Deadline = {}): Promise<CommandResult> {
    return this.step(`run \`${command}\``, async () => {
      const result = await this.run(command, timeoutMs, `\`${command}\` to finish`);
      this.log(`${this.prefix} exit code ${result.exitCode}`);
      return result;
    });
  }

  /**
   * Runs `command`; resolves with its stdout when it exits 0, fails with the exit code, stdout
   * and stderr otherwise. (test driver: `succeed`)
   *
   * @example
   * const hostname = (await client.succeed("hostname")).trim();
   */
  succeed(command: string, { timeoutMs = this.commandTimeoutMs }: Deadline = {}): Promise<string> {
    const action = `\`${command}\` to succeed`;
    return this.step(`must succeed: \`${command}\``, async (started) => {
      const result = await this.run(command, timeoutMs, action);
      if (result.exitCode !== 0) {
        throw this.failed(action, "assertion", started, outputOf(result), {
          detail: `exit code ${result.exitCode}`,
        });
      }
      return result.stdout;
    });
  }

  /**
   * Runs `command`; resolves with its stdout when it exits non-zero, fails when it succeeds.
   * (test driver: `fail`)
   *
   * @example
   * await client.fail("curl -sf --max-time 3 http://server/secret");
   */
  fail(command: string, { timeoutMs = this.commandTimeoutMs }: Deadline = {}): Promise<string> {
    const action = `\`${command}\` to fail`;
    return this.step(`must fail: \`${command}\``, async (started) => {
      const result = await this.run(command, timeoutMs, action);
      if (result.exitCode === 0) {
        throw this.failed(action, "assertion", started, outputOf(result), { detail: "it exited 0" });
      }
      return result.stdout;
    });
  }

  // --- waits ----------------------------------------------------------------------------------

  /** Repeats `command` until it exits 0; resolves with that run's stdout. (test driver: `wait_until_succeeds`) */
  waitUntilSucceeds(command: string, { timeoutMs = this.waitTimeoutMs }: Deadline = {}): Promise<string> {
    return this.waitForCommand(command, true, timeoutMs);
  }

  /** Repeats `command` until it exits non-zero; resolves with that run's stdout. (test driver: `wait_until_fails`) */
  waitUntilFails(command: string, { timeoutMs = this.waitTimeoutMs }: Deadline = {}): Promise<string> {
    return this.waitForCommand(command, false, timeoutMs);
  }

  private waitForCommand(command: string, success: boolean, timeoutMs: number): Promise<string> {
    const action = `\`${command}\` to ${success ? "succeed" : "fail"}`;
    return this.wait(action, timeoutMs, async (remainingMs) => {
      const result = await this.run(command, remainingMs, action);
      return { done: (result.exitCode === 0) === success, value: result.stdout, seen: outputOf(result) };
    }).then((stdout) => stdout ?? "");
  }

  /**
   * Waits until the systemd unit `unit` is active; fails at once when it failed, or when it is
   * inactive with no job pending (nothing will start it). (test driver: `wait_for_unit`)
   *
   * @example
   * await server.waitForUnit("nginx.service");
   */
  waitForUnit(unit: string, { timeoutMs = this.waitTimeoutMs }: Deadline = {}): Promise<void> {
    const action = `unit "${unit}" to be active`;
    const show = `systemctl --no-pager show ${shellQuote(unit)} --property=ActiveState --property=SubState --property=LoadState`;
    return this.wait(action, timeoutMs, async (remainingMs) => {
      const started = performance.now();
      const state = async () => {
        const result = await this.run(show, remainingMs, action);
        if (result.exitCode !== 0) {
          throw this.failed(action, "assertion", started, outputOf(result), {
            detail: `\`systemctl show\` exited ${result.exitCode}`,
            hint: "waitForUnit needs systemd in the guest",
          });
        }
        const properties = Object.fromEntries(
          result.stdout.split("\n").flatMap((line) => {
            const at = line.indexOf("=");
            return at > 0 ? [[line.slice(0, at), line.slice(at + 1).trim()]] : [];
          }),
        ) as Record<string, string | undefined>;
        return { active: properties.ActiveState ?? "unknown", seen: result.stdout.trim() };
      };
      const { active, seen } = await state();
      if (active === "failed") {
        throw this.failed(action, "assertion", started, seen, {
          detail: `the unit failed`,
          hint: `see \`journalctl -u ${unit}\` in the guest`,
        });
      }
      if (active === "inactive") {
        const jobs = await this.run("systemctl --no-pager list-jobs --full 2>&1", remainingMs, action);
        // Still inactive after seeing no job: nothing is going to start it.
        if (jobs.stdout.includes("No jobs") && (await state()).active === "inactive") {
          throw this.failed(action, "assertion", started, seen, {
            detail: "the unit is inactive and no job is pending",
            hint: "is it enabled (wantedBy a target), or started by something that has not run?",
          });
        }
      }
      return { done: active === "active", seen };
    }).then(() => undefined);
  }

  /**
   * Waits until a process in the guest listens on TCP `port` (any address).
   * (test driver: `wait_for_open_port`)
   *
   * @example
   * await server.waitForOpenPort(5432);
   */
  waitForOpenPort(port: number, { timeoutMs = this.waitTimeoutMs }: Deadline = {}): Promise<void> {
    return this.waitForPort(port, true, timeoutMs);
  }

  /** Waits until nothing in the guest listens on TCP `port`. (test driver: `wait_for_closed_port`) */
  waitForClosedPort(port: number, { timeoutMs = this.waitTimeoutMs }: Deadline = {}): Promise<void> {
    return this.waitForPort(port, false, timeoutMs);
  }

  private waitForPort(port: number, open: boolean, timeoutMs: number): Promise<void> {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw usageError(`port must be an integer from 1 to 65535, got ${port}`);
    }
    const action = `TCP port ${port} to be ${open ? "open" : "closed"}`;
    return this.wait(action, timeoutMs, async (remainingMs) => {
      const result = await this.run(LISTENING_PORTS_COMMAND, remainingMs, action);
      const ports = listeningPorts(result.stdout);
      return {
        done: ports.includes(port) === open,
        seen: `listening TCP ports: ${ports.join(", ") || "none"}`,
      };
    }).then(() => undefined);
  }

  /** Waits until `path` exists in the guest. (test driver: `wait_for_file`) */
  waitForFile(path: string, { timeoutMs = this.waitTimeoutMs }: Deadline = {}): Promise<void> {
    const action = `file ${path} to exist`;
    return this.wait(action, timeoutMs, async (remainingMs) => {
      const result = await this.run(`test -e ${shellQuote(path)}`, remainingMs, action);
      return { done: result.exitCode === 0, seen: `test -e exited ${result.exitCode}` };
    }).then(() => undefined);
  }

  /**
   * Waits until `pattern` matches the serial console output of the current boot (read from the
   * console log on the host, so it also sees what came before the guest agent).
   * (test driver: `wait_for_console_text`)
   *
   * @example
   * await web.waitForConsoleText(/Reached target Multi-User System/);
   */
  waitForConsoleText(
    pattern: RegExp | string,
    { timeoutMs = this.waitTimeoutMs }: Deadline = {},
  ): Promise<void> {
    const regex = typeof pattern === "string" ? new RegExp(pattern) : pattern;
    const action = `console text matching ${regex}`;
    return this.wait(action, timeoutMs, async () => {
      const done = regex.test(this.consoleText());
      return { done, seen: `the console's last lines:\n${this.consoleTail().join("\n")}` };
    }).then(() => undefined);
  }

  /** The serial console output of the current boot. (test driver: `get_console_log`) */
  consoleText(): string {
    const file = this.fleet.consoleLog(this.name);
    if (!existsSync(file)) return "";
    const bytes = readFileSync(file);
    return bytes.subarray(Math.min(this.consoleFrom, bytes.length)).toString("utf8").replaceAll("\r", "");
  }

  /** The console's last lines of this boot, cleaned of terminal control codes (for errors). */
  private consoleTail(): string[] {
    return consoleTail(this.fleet.consoleLog(this.name), 5, this.consoleFrom);
  }

  // --- files ----------------------------------------------------------------------------------

  /**
   * Copies the host file `hostPath` to `guestPath` (parent directories created, mode bits copied,
   * owned by root). (test driver: `copy_from_host`)
   *
   * @example
   * await server.copyFromHost("fixtures/site.conf", "/etc/site.conf");
   */
  copyFromHost(
    hostPath: string,
    guestPath: string,
    { timeoutMs = this.commandTimeoutMs }: Deadline = {},
  ): Promise<void> {
    const stat = statSync(hostPath);
    if (!stat.isFile())
      throw usageError(`${hostPath} is not a file`, "copyFromHost copies one file at a time");
    const action = `copy ${hostPath} to ${guestPath}`;
    return this.step(action, async (started) => {
      const remaining = () => Math.max(1, timeoutMs - since(started));
      await this.mustRun(`mkdir -p ${shellQuote(dirname(guestPath))}`, remaining(), action);
      const bytes = await this.withAgent(action, remaining(), (agent) =>
        writeGuestFile(agent, hostPath, guestPath, remaining),
      );
      await this.mustRun(
        `chmod ${(stat.mode & 0o7777).toString(8)} ${shellQuote(guestPath)}`,
        remaining(),
        action,
      );
      this.log(`${this.prefix} ${bytes} bytes copied`);
    });
  }

  /**
   * Copies the guest file `guestPath` into the host directory `hostDir` (created if missing);
   * resolves with the host path. (test driver: `copy_from_vm`)
   *
   * @example
   * const log = await client.copyFromVm("/var/log/app.log", "out");
   */
  copyFromVm(
    guestPath: string,
    hostDir: string,
    { timeoutMs = this.commandTimeoutMs }: Deadline = {},
  ): Promise<string> {
    const target = resolve(hostDir, basename(guestPath));
    const action = `copy ${guestPath} to ${target}`;
    return this.step(action, async (started) => {
      const remaining = () => Math.max(1, timeoutMs - since(started));
      mkdirSync(resolve(hostDir), { recursive: true });
      const bytes = await this.withAgent(action, remaining(), (agent) =>
        readGuestFile(agent, guestPath, target, remaining),
      );
      this.log(`${this.prefix} ${bytes} bytes copied`);
      return target;
    });
  }

  // --- screen and keyboard --------------------------------------------------------------------

  /**
   * Writes a PNG of the machine's display to `pngPath` (QMP `screendump`); resolves with its path.
   * (test driver: `screenshot`)
   */
  screenshot(pngPath: string, { timeoutMs = this.commandTimeoutMs }: Deadline = {}): Promise<string> {
    const target = resolve(pngPath);
    return this.step(`screenshot to ${target}`, async () => {
      mkdirSync(dirname(target), { recursive: true });
      await this.withQmp(`a screenshot`, timeoutMs, (qmp) =>
        qmp.execute("screendump", { filename: target, format: "png" }, { timeoutMs }),
      );
      return target;
    });
  }

  /**
   * Presses each key combination in turn (QMP `send-key`), written as the test driver writes them.
   * (test driver: `send_key`)
   *
   * @example
   * await desktop.sendKeys("ctrl-alt-delete");
   * await desktop.sendKeys("alt-f2", "ret");
   */
  sendKeys(...combinations: string[]): Promise<void> {
    const keys = combinations.map(keysOf);
    return this.step(`send keys ${combinations.join(" ")}`, () =>
      this.withQmp("keys to be sent", this.commandTimeoutMs, async (qmp) => {
        for (const combination of keys) {
          await qmp.execute("send-key", { keys: combination });
          await Bun.sleep(KEY_DELAY_MS);
        }
      }),
    );
  }

  /** Types `text` on the virtual keyboard (US layout): letters, digits, symbols, `\n`, `\t`. (test driver: `send_chars`) */
  sendChars(text: string): Promise<void> {
    const keys = [...text].map((char) => keysOf(combinationOf(char)));
    return this.step(`type ${JSON.stringify(text)}`, () =>
      this.withQmp("keys to be typed", this.commandTimeoutMs, async (qmp) => {
        for (const combination of keys) {
          await qmp.execute("send-key", { keys: combination });
          await Bun.sleep(KEY_DELAY_MS);
        }
      }),
    );
  }

  // --- network --------------------------------------------------------------------------------

  /**
   * Unplugs the private network's cable: the link of the NIC that reaches the other machines goes
   * down (QMP `set_link`); the user network (SSH, forwards, the guest agent) stays up.
   * (test driver: `block`)
   */
  block(): Promise<void> {
    return this.setPrivateLink(false);
  }

  /** Plugs the private network's cable back in. (test driver: `unblock`) */
  unblock(): Promise<void> {
    return this.setPrivateLink(true);
  }

  private setPrivateLink(up: boolean): Promise<void> {
    const action = `private network link ${up ? "up" : "down"}`;
    return this.step(action, async (started) => {
      if (!this.fleet.machine(this.name).network) {
        throw this.failed(action, "unavailable", started, null, {
          detail: "the machine has no private network",
          hint: "it is on when the build has more than one machine",
        });
      }
      await this.withQmp(action, this.commandTimeoutMs, (qmp) =>
        qmp.execute("set_link", { name: PRIVATE_NETDEV_ID, up }),
      );
    });
  }

  // --- power ----------------------------------------------------------------------------------

  /**
   * Starts the machine on its existing disk and waits until it is ready; nothing when it runs.
   * (test driver: `start`, which does not wait)
   */
  start({ timeoutMs = this.waitTimeoutMs }: Deadline = {}): Promise<void> {
    const action = "the machine to start and be ready";
    return this.step("start", async (started) => {
      if (this.isRunning()) {
        this.log(`${this.prefix} already running`);
        return;
      }
      const log = this.fleet.consoleLog(this.name);
      this.consoleFrom = existsSync(log) ? statSync(log).size : 0;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(this.failed(action, "timed-out", started, this.consoleTail().join("\n") || null)),
          timeoutMs,
        );
      });
      try {
        const results = await Promise.race([this.fleet.start([this.name]), deadline]);
        const failed = results.find((r) => !r.ok);
        if (failed) {
          throw this.failed(action, "assertion", started, failed.consoleTail.join("\n") || null, {
            detail: `${failed.machine}: ${failed.error}`,
          });
        }
      } finally {
        clearTimeout(timer);
      }
    });
  }

  /**
   * Powers the machine off gracefully (ACPI power button) and waits until QEMU has exited; fails
   * when the guest did not power off by itself in time (QEMU is then stopped anyway).
   * (test driver: `shutdown`)
   */
  shutdown({ timeoutMs = this.waitTimeoutMs }: Deadline = {}): Promise<void> {
    const action = "the guest to power off";
    return this.step("shutdown", async (started) => {
      if (!this.isRunning()) {
        this.log(`${this.prefix} not running`);
        return;
      }
      const [report] = await this.fleet.stop([this.name], { powerdownMs: timeoutMs });
      if (!report?.ok || report.method !== "powerdown") {
        const failure = report?.ok ? "timed-out" : "unavailable";
        const seen = report?.error ?? `stopped by ${report?.method}`;
        throw this.failed(action, failure, started, seen, { detail: report?.error ?? undefined });
      }
    });
  }

  /** A graceful power cycle: {@link shutdown}, then {@link start} on the same disk. (test driver: `reboot`) */
  async reboot({ timeoutMs = this.waitTimeoutMs }: Deadline = {}): Promise<void> {
    const started = performance.now();
    await this.shutdown({ timeoutMs });
    await this.start({ timeoutMs: Math.max(1, timeoutMs - since(started)) });
  }

  /**
   * Cuts the power: QEMU is killed at once (SIGKILL), the guest gets no chance to sync its disk.
   * `start()` boots it again. (test driver: `crash`)
   */
  crash({ timeoutMs = this.commandTimeoutMs }: Deadline = {}): Promise<void> {
    const action = "QEMU to exit";
    return this.step("crash (kill QEMU)", async () => {
      const [status] = this.fleet.status([this.name]);
      const pid = status?.condition === "running" ? status.pid : null;
      if (!pid) {
        this.log(`${this.prefix} not running`);
        return;
      }
      process.kill(pid, "SIGKILL");
      await pollUntil({
        machine: this.name,
        action,
        timeoutMs,
        check: async () => ({ done: !isSameProcessAlive(pid, null), seen: `pid ${pid} alive` }),
      });
      // The next boot's console output starts here.
      this.consoleFrom = statSync(this.fleet.consoleLog(this.name)).size;
    });
  }

  /** A {@link MachineError} of this machine for `action`, which began at `started`. */
  private failed(
    action: string,
    failure: MachineFailure,
    started: number,
    lastSeen: string | null,
    options?: { detail?: string; hint?: string; cause?: unknown },
  ): MachineError {
    return new MachineError(
      { machine: this.name, action, failure, waitedMs: since(started), lastSeen },
      options,
    );
  }

  /** Whether the machine's QEMU runs. */
  isRunning(): boolean {
    return this.fleet.status([this.name])[0]?.condition === "running";
  }

  // --- plumbing -------------------------------------------------------------------------------

  private get prefix(): string {
    return `[${this.name}]`;
  }

  /** Logs `what`, runs it, logs how long it took or how it failed. */
  private async step<T>(what: string, body: (started: number) => Promise<T>): Promise<T> {
    const started = performance.now();
    this.log(`${this.prefix} ${what}`);
    try {
      const value = await body(started);
      this.log(`${this.prefix} ${what}: done (${seconds(started)} s)`);
      return value;
    } catch (error) {
      this.log(`${this.prefix} ${what}: FAILED (${seconds(started)} s)`);
      throw error;
    }
  }

  /** A logged {@link pollUntil} that also fails at once when the machine is not running. */
  private wait<T>(
    action: string,
    timeoutMs: number,
    check: (remainingMs: number) => Promise<{ done: boolean; value?: T; seen: string | null }>,
  ): Promise<T | undefined> {
    return this.step(`waiting for ${action}`, (started) =>
      pollUntil({
        machine: this.name,
        action,
        timeoutMs,
        check: async (remainingMs) => {
          this.requireRunning(action, started);
          return check(remainingMs);
        },
      }),
    );
  }

  private requireRunning(action: string, started: number): void {
    const [status] = this.fleet.status([this.name]);
    if (status?.condition === "running") return;
    throw this.failed(action, "not-running", started, null, {
      detail: `the machine is ${status?.condition ?? "unknown"}`,
      hint: "start it with `await machine.start()`",
    });
  }

  /** Runs `command` through the guest agent; `action` names it in errors. */
  private async run(command: string, timeoutMs: number, action: string): Promise<CommandResult> {
    const started = performance.now();
    try {
      const result = await this.withAgent(action, timeoutMs, (agent) =>
        agent.exec("/bin/sh", ["-c", command], {
          timeoutMs: Math.max(1, timeoutMs - since(started)),
          env: GUEST_ENV,
        }),
      );
      return {
        exitCode: result.exitCode ?? 128 + (result.signal ?? 0),
        stdout: result.stdout,
        stderr: result.stderr,
      };
    } catch (error) {
      if (error instanceof GuestExecError && error.reason === "timed-out") {
        throw this.failed(action, "timed-out", started, null, {
          cause: error,
          hint: `the command is still running in the guest (pid ${error.pid})`,
        });
      }
      throw error;
    }
  }

  /** {@link run}, failing unless the command exits 0. */
  private async mustRun(command: string, timeoutMs: number, action: string): Promise<void> {
    const started = performance.now();
    const result = await this.run(command, timeoutMs, action);
    if (result.exitCode !== 0) {
      throw this.failed(action, "assertion", started, outputOf(result), {
        detail: `\`${command}\` exited ${result.exitCode}`,
      });
    }
  }

  /**
   * Connects to the guest agent for one action (after this machine's earlier calls: the agent
   * serves one client at a time).
   */
  private withAgent<T>(
    action: string,
    timeoutMs: number,
    use: (agent: GuestAgentClient) => Promise<T>,
  ): Promise<T> {
    const channel: Channel<GuestAgentClient> = {
      connect: () =>
        GuestAgentClient.connect(this.paths.guestAgent, { timeoutMs: Math.min(CONNECT_MS, timeoutMs) }),
      notAnswering: "the guest agent did not answer",
      hint: "is the guest still booting, or is another client (nohead exec) using its agent?",
      refusedBy: "the guest agent",
      refusal: "assertion",
    };
    const turn = this.agentTurn.then(() => this.session(action, channel, use));
    this.agentTurn = turn.catch(() => undefined);
    return turn;
  }

  /** Connects to QEMU's monitor for one action (QEMU serves one QMP client at a time). */
  private withQmp<T>(action: string, timeoutMs: number, use: (qmp: QmpClient) => Promise<T>): Promise<T> {
    const channel: Channel<QmpClient> = {
      connect: () =>
        QmpClient.connect(this.paths.qmp, {
          timeoutMs: Math.min(CONNECT_MS, timeoutMs),
          commandTimeoutMs: timeoutMs,
        }),
      notAnswering: "QEMU's monitor did not answer",
      hint: "QEMU serves one QMP client at a time: is another nohead command talking to this VM?",
      refusedBy: "QEMU",
      refusal: "unavailable",
    };
    return this.session(action, channel, use);
  }

  /**
   * One connection for one action: a connection that fails says whether the machine runs at all,
   * a request the other side refuses says what it said; the connection is always closed.
   */
  private async session<C extends { close(): void }, T>(
    action: string,
    channel: Channel<C>,
    use: (client: C) => Promise<T>,
  ): Promise<T> {
    const started = performance.now();
    let client: C;
    try {
      client = await channel.connect();
    } catch (error) {
      this.requireRunning(action, started);
      throw this.failed(action, "unavailable", started, null, {
        cause: error,
        detail: `${channel.notAnswering}: ${error instanceof Error ? error.message : String(error)}`,
        hint: channel.hint,
      });
    }
    try {
      return await use(client);
    } catch (error) {
      if (!(error instanceof QmpCommandError)) throw error;
      throw this.failed(action, channel.refusal, started, null, {
        cause: error,
        detail: `${channel.refusedBy} refused \`${error.command}\`: ${error.desc}`,
      });
    } finally {
      client.close();
    }
  }
}

/** How to reach a control channel (guest agent, QMP), and how its failures read. */
interface Channel<C> {
  connect: () => Promise<C>;
  notAnswering: string;
  hint: string;
  refusedBy: string;
  /** What a refused request is: the guest's answer to the test (`assertion`), or QEMU's limit. */
  refusal: MachineFailure;
}

function since(started: number): number {
  return performance.now() - started;
}

function seconds(started: number): string {
  return (since(started) / 1000).toFixed(1);
}

function outputOf(result: CommandResult): string {
  return `exit code ${result.exitCode}\nstdout: ${result.stdout.trimEnd()}\nstderr: ${result.stderr.trimEnd()}`;
}
