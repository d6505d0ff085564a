/**
 * A QMP client (QEMU Machine Protocol): greeting, capability negotiation, commands matched to
 * replies by id with a deadline each, asynchronous events, and a clean error for everything
 * pending when QEMU goes away.
 */
import { z } from "zod";
import { JsonLineSocket } from "./json-line-socket.ts";
import {
  QemuDisconnectedError,
  QemuProtocolError,
  QemuTimeoutError,
  QmpCommandError,
} from "./qemu-errors.ts";

const Greeting = z.object({
  QMP: z.object({
    version: z.object({ qemu: z.object({ major: z.number(), minor: z.number(), micro: z.number() }) }),
  }),
});
const QmpMessage = z.union([
  z
    .object({ return: z.unknown(), id: z.unknown().optional() })
    .transform((m) => ({ kind: "return" as const, ...m })),
  z
    .object({ error: z.object({ class: z.string(), desc: z.string() }), id: z.unknown().optional() })
    .transform((m) => ({ kind: "error" as const, ...m })),
  z
    .object({ event: z.string(), data: z.unknown().optional(), timestamp: z.unknown().optional() })
    .transform((m) => ({ kind: "event" as const, ...m })),
]);

export interface QmpEvent {
  event: string;
  data: unknown;
}

/** A host forward QEMU actually bound (from HMP `info usernet`). */
export interface BoundHostForward {
  protocol: "tcp" | "udp";
  hostAddress: string;
  hostPort: number;
  guestPort: number;
}

interface Pending {
  command: string;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class QmpClient {
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private readonly eventListeners = new Set<(event: QmpEvent) => void>();

  private constructor(
    private readonly socket: JsonLineSocket,
    readonly version: string,
  ) {
    socket.onMessage((message) => this.receive(message));
    socket.onClose(() => {
      const error = new QemuDisconnectedError(
        socket.path,
        [...this.pending.values()].map((p) => p.command),
      );
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(error);
      }
      this.pending.clear();
    });
  }

  /**
   * Connects, reads the greeting and negotiates capabilities.
   *
   * @example
   * const qmp = await QmpClient.connect("/run/…/qmp", { timeoutMs: 2000 });
   * const { running } = await qmp.queryStatus();
   */
  static async connect(path: string, { timeoutMs = 5000 }: { timeoutMs?: number } = {}): Promise<QmpClient> {
    const socket = await JsonLineSocket.connect(path, { timeoutMs });
    try {
      const greeting = await new Promise<z.infer<typeof Greeting>>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new QemuTimeoutError(`QMP greeting on ${path}`, timeoutMs)),
          timeoutMs,
        );
        const off = socket.onMessage((message) => {
          off();
          clearTimeout(timer);
          const parsed = Greeting.safeParse(message);
          if (parsed.success) resolve(parsed.data);
          else
            reject(
              new QemuProtocolError(
                `${path} did not greet like QMP: ${JSON.stringify(message).slice(0, 200)}`,
              ),
            );
        });
        socket.onClose((error) => {
          clearTimeout(timer);
          reject(error);
        });
      });
      const { major, minor, micro } = greeting.QMP.version.qemu;
      const client = new QmpClient(socket, `${major}.${minor}.${micro}`);
      await client.execute("qmp_capabilities", undefined, { timeoutMs });
      return client;
    } catch (error) {
      socket.close();
      throw error;
    }
  }

  /** Runs `command`; resolves with its `return`, rejects with QmpCommandError, QemuTimeoutError or QemuDisconnectedError. */
  execute<T = unknown>(
    command: string,
    args?: Record<string, unknown>,
    { timeoutMs = 10_000 } = {},
  ): Promise<T> {
    const id = `nohead-${this.nextId++}`;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new QemuTimeoutError(`QMP ${command}`, timeoutMs));
      }, timeoutMs);
      this.pending.set(id, { command, resolve: resolve as (v: unknown) => void, reject, timer });
      try {
        this.socket.send(
          args === undefined ? { execute: command, id } : { execute: command, arguments: args, id },
        );
      } catch (error) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(error);
      }
    });
  }

  /** Calls `listener` for every event; returns an unsubscribe function. */
  onEvent(listener: (event: QmpEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** Resolves with the next event named `name`, or rejects after `timeoutMs`. */
  waitForEvent(name: string, { timeoutMs }: { timeoutMs: number }): Promise<QmpEvent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new QemuTimeoutError(`waiting for QMP event ${name}`, timeoutMs));
      }, timeoutMs);
      const off = this.onEvent((event) => {
        if (event.event !== name) return;
        clearTimeout(timer);
        off();
        resolve(event);
      });
      this.socket.onClose((error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  async queryStatus(): Promise<{ running: boolean; status: string }> {
    return this.execute("query-status");
  }

  /** Asks the guest to power down (ACPI power button). */
  async systemPowerdown(): Promise<void> {
    await this.execute("system_powerdown");
  }

  /** Makes QEMU exit at once (the connection closes as it does). */
  async quit(): Promise<void> {
    try {
      await this.execute("quit", undefined, { timeoutMs: 3000 });
    } catch (error) {
      if (!(error instanceof QemuDisconnectedError)) throw error;
    }
  }

  async humanMonitorCommand(commandLine: string): Promise<string> {
    return this.execute<string>("human-monitor-command", { "command-line": commandLine });
  }

  /** The host forwards QEMU bound, with the ports it chose for `hostfwd=…:0-:G` rules. */
  async hostForwards(): Promise<BoundHostForward[]> {
    return parseUsernet(await this.humanMonitorCommand("info usernet"));
  }

  close(): void {
    this.socket.close();
  }

  private receive(message: unknown): void {
    const parsed = QmpMessage.safeParse(message);
    if (!parsed.success) return; // Not a QMP message (a malformed line): nothing waits for it.
    const m = parsed.data;
    if (m.kind === "event") {
      for (const listener of this.eventListeners) listener({ event: m.event, data: m.data });
      return;
    }
    const id = typeof m.id === "string" ? m.id : undefined;
    const pending = id ? this.pending.get(id) : undefined;
    if (!pending || !id) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    if (m.kind === "return") pending.resolve(m.return);
    else pending.reject(new QmpCommandError(pending.command, m.error.class, m.error.desc));
  }
}

/**
 * Parses HMP `info usernet`, e.g.
 * `  TCP[HOST_FORWARD]  13       127.0.0.1 40123       10.0.2.15    22     0     0`.
 */
export function parseUsernet(text: string): BoundHostForward[] {
  const forwards: BoundHostForward[] = [];
  for (const line of text.split("\n")) {
    const match = line.match(/^\s*(TCP|UDP)\[HOST_FORWARD\]\s+\S+\s+(\S+)\s+(\d+)\s+\S+\s+(\d+)/);
    if (!match?.[1] || !match[2] || !match[3] || !match[4]) continue;
    forwards.push({
      protocol: match[1].toLowerCase() as "tcp" | "udp",
      hostAddress: match[2] === "*" ? "0.0.0.0" : match[2],
      hostPort: Number(match[3]),
      guestPort: Number(match[4]),
    });
  }
  return forwards;
}
