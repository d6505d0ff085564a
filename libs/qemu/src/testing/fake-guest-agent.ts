/**
 * A scriptable stand-in for qemu-ga behind QEMU's guest-agent chardev, for the faults a real agent
 * will not produce on demand: stale replies buffered in the channel, half-written replies, silence,
 * a shutdown that never answers. Its default answers copy qemu-ga 7.2 (measured), including the
 * error it sends back for the client's leading 0xFF byte.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A request the fake received. */
export interface FakeAgentRequest {
  /** The exact line (without the newline and without a leading 0xFF). */
  raw: string;
  execute: string;
  arguments: Record<string, unknown> | undefined;
  /** Whether a 0xFF byte came right before it. */
  afterSentinel: boolean;
}

/** A program the fake "runs": it reports running for `polls` status calls, then exits. */
export interface FakeProgram {
  polls?: number;
  /** Report the output as cut by the agent's cap. */
  truncated?: boolean;
  exitcode?: number;
  signal?: number;
  stdout?: string;
  stderr?: string;
}

/** What a handler tells the fake to do: reply, reply with an error, or stay silent. */
export type FakeAgentAnswer =
  | { return: unknown }
  | { error: { class: string; desc: string } }
  | { silent: true }
  | { raw: string | Uint8Array };

export type FakeAgentHandler = (request: FakeAgentRequest, agent: FakeGuestAgent) => FakeAgentAnswer;

/** Options of {@link FakeGuestAgent.start}. */
export interface FakeGuestAgentOptions {
  /** Programs by path for guest-exec. */
  programs?: Record<string, FakeProgram>;
  /** Files by path for guest-file-open/read. */
  files?: Record<string, string | Uint8Array>;
  /** Per-command overrides of the default answers. */
  commands?: Record<string, FakeAgentHandler>;
  /** Bytes already waiting in the channel when a client connects (stale replies). */
  staleOnConnect?: string | Uint8Array;
  /** Answer nothing at all (like QEMU's chardev with no agent in the guest). */
  silent?: boolean;
}

const SENTINEL = 0xff;

/**
 * A fake guest agent on a Unix socket in a fresh temp dir.
 *
 * @example
 * ```ts
 * const fake = await FakeGuestAgent.start({ programs: { "/bin/true": { exitcode: 0 } } });
 * const agent = await GuestAgentClient.connect(fake.path);
 * ```
 */
export class FakeGuestAgent {
  readonly requests: FakeAgentRequest[] = [];
  /** Exec'd programs by pid, with how many more polls they run for. */
  readonly processes = new Map<
    number,
    FakeProgram & { path: string; args: unknown; env: unknown; input: string }
  >();
  connections = 0;
  private client: Socket | undefined;
  private nextPid = 1000;
  private readonly handles = new Map<number, { data: Buffer; offset: number }>();
  private nextHandle = 1000;

  private constructor(
    readonly path: string,
    private readonly dir: string,
    private readonly server: Server,
    private readonly options: FakeGuestAgentOptions,
  ) {}

  static async start(options: FakeGuestAgentOptions = {}): Promise<FakeGuestAgent> {
    const dir = mkdtempSync(join(tmpdir(), "nohead-fake-qga-"));
    const path = join(dir, "qga.sock");
    const server = createServer();
    const fake = new FakeGuestAgent(path, dir, server, options);
    server.on("connection", (socket) => fake.accept(socket));
    await new Promise<void>((resolve) => server.listen(path, resolve));
    return fake;
  }

  /** Files opened and not closed yet. */
  get openHandles(): number {
    return this.handles.size;
  }

  /** The commands received so far, in order. */
  get commands(): string[] {
    return this.requests.map((r) => r.execute);
  }

  /** Writes raw bytes to the connected client. */
  write(data: string | Uint8Array): void {
    if (!this.client) throw new Error("fake guest agent: no client is connected");
    this.client.write(data);
  }

  /** Writes one message as qemu-ga does: JSON then LF. */
  send(message: unknown): void {
    this.write(`${JSON.stringify(message)}\n`);
  }

  /** Cuts the connection to the current client. */
  dropClient(): void {
    this.client?.destroy();
    this.client = undefined;
  }

  /** Stops the server, drops the client and removes the temp dir. */
  async close(): Promise<void> {
    this.dropClient();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private accept(socket: Socket): void {
    this.connections++;
    this.client = socket;
    socket.on("error", () => undefined);
    if (this.options.staleOnConnect !== undefined) socket.write(this.options.staleOnConnect);
    let pending: Buffer[] = [];
    let afterSentinel = false;
    socket.on("data", (chunk: Buffer) => {
      let start = 0;
      while (start < chunk.length) {
        const newline = chunk.indexOf(0x0a, start);
        const sentinel = chunk.indexOf(SENTINEL, start);
        if (sentinel !== -1 && (newline === -1 || sentinel < newline)) {
          pending = [];
          afterSentinel = true;
          start = sentinel + 1;
          // qemu-ga 7.2 answers the byte itself with a parse error (measured).
          if (!this.options.silent) {
            this.send({ error: { class: "GenericError", desc: "JSON parse error, stray '\\uFFFD'" } });
          }
          continue;
        }
        if (newline === -1) {
          pending.push(chunk.subarray(start));
          return;
        }
        const raw = Buffer.concat([...pending, chunk.subarray(start, newline)]).toString("utf8");
        pending = [];
        start = newline + 1;
        const parsed = JSON.parse(raw) as { execute: string; arguments?: Record<string, unknown> };
        const request = { raw, execute: parsed.execute, arguments: parsed.arguments, afterSentinel };
        afterSentinel = false;
        this.requests.push(request);
        if (!this.options.silent) this.answer(request);
      }
    });
  }

  private answer(request: FakeAgentRequest): void {
    const handler = this.options.commands?.[request.execute] ?? this.defaultHandler(request.execute);
    const answer = handler(request, this);
    if ("silent" in answer) return;
    if ("raw" in answer) this.write(answer.raw);
    else this.send(answer);
  }

  private defaultHandler(command: string): FakeAgentHandler {
    const args = (request: FakeAgentRequest) => request.arguments ?? {};
    switch (command) {
      case "guest-sync-delimited":
        return (request) => ({
          raw: Buffer.concat([
            Buffer.from([SENTINEL]),
            Buffer.from(`${JSON.stringify({ return: args(request).id })}\n`),
          ]),
        });
      case "guest-sync":
        return (request) => ({ return: args(request).id });
      case "guest-ping":
        return () => ({ return: {} });
      case "guest-info":
        return () => ({
          return: {
            version: "7.2.22",
            supported_commands: [
              { enabled: true, name: "guest-ping", "success-response": true },
              { enabled: false, name: "guest-shutdown", "success-response": false },
            ],
          },
        });
      case "guest-exec":
        return (request) => {
          const { path, arg, env } = args(request) as { path: string; arg?: unknown; env?: unknown };
          const program = this.options.programs?.[path];
          if (!program) {
            return {
              error: {
                class: "GenericError",
                desc: `Guest agent command failed, error was 'Failed to execute child process \u201c${path}\u201d (No such file or directory)'`,
              },
            };
          }
          const pid = this.nextPid++;
          const inputData = args(request)["input-data"];
          const input =
            typeof inputData === "string" ? Buffer.from(inputData, "base64").toString("utf8") : "";
          this.processes.set(pid, { ...program, path, args: arg, env, input });
          return { return: { pid } };
        };
      case "guest-exec-status":
        return (request) => {
          const pid = args(request).pid as number;
          const process = this.processes.get(pid);
          if (!process) return { error: { class: "GenericError", desc: "Invalid parameter 'pid'" } };
          if ((process.polls ?? 0) > 0) {
            process.polls = (process.polls ?? 0) - 1;
            return { return: { exited: false } };
          }
          this.processes.delete(pid);
          const b64 = (text: string | undefined) => Buffer.from(text ?? "").toString("base64");
          return {
            return: {
              exited: true,
              ...(process.signal === undefined
                ? { exitcode: process.exitcode ?? 0 }
                : { signal: process.signal }),
              "out-data": b64(process.stdout),
              "err-data": b64(process.stderr),
              "out-truncated": process.truncated ?? false,
              "err-truncated": process.truncated ?? false,
            },
          };
        };
      case "guest-file-open":
        return (request) => {
          const path = args(request).path as string;
          const data = this.options.files?.[path];
          if (data === undefined) {
            return {
              error: {
                class: "GenericError",
                desc: `failed to open file '${path}' (mode: 'r'): No such file or directory`,
              },
            };
          }
          const handle = this.nextHandle++;
          this.handles.set(handle, { data: Buffer.from(data), offset: 0 });
          return { return: handle };
        };
      case "guest-file-read":
        return (request) => {
          const { handle, count } = args(request) as { handle: number; count: number };
          const file = this.handles.get(handle);
          if (!file)
            return { error: { class: "GenericError", desc: `handle '${handle}' has not been found` } };
          const slice = file.data.subarray(file.offset, file.offset + count);
          file.offset += slice.length;
          return {
            return: {
              count: slice.length,
              "buf-b64": slice.toString("base64"),
              eof: file.offset >= file.data.length,
            },
          };
        };
      case "guest-file-close":
        return (request) => {
          this.handles.delete(args(request).handle as number);
          return { return: {} };
        };
      case "guest-shutdown":
        // Success has no reply (qemu-ga documents it); the guest then goes down.
        return () => ({ silent: true });
      default:
        return () => ({
          error: { class: "CommandNotFound", desc: `The command ${command} has not been found` },
        });
    }
  }
}
