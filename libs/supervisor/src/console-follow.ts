/**
 * Reads a VM's serial console log as clean lines: the last N first, then (when following) every
 * new line as QEMU appends it. Polls the file's size, so it works whoever writes the file and
 * survives the file being recreated (a restart truncates it: reading starts over).
 */
import { existsSync, statSync } from "node:fs";
import { consoleTail } from "./console-tail.ts";
import { stripTerminalControls } from "./terminal-controls.ts";

export interface FollowOptions {
  /** How many last lines to give first. */
  lines: number;
  /** Keep giving new lines until `signal` aborts. */
  follow: boolean;
  signal?: AbortSignal;
  /** How often to look for new lines when following. */
  pollMs?: number;
}

/**
 * The lines of console log `file`.
 *
 * @example
 * for await (const line of followConsole(fleet.consoleLog("web-1"), { lines: 20, follow: true, signal })) send(line);
 */
export async function* followConsole(
  file: string,
  { lines, follow, signal, pollMs = 250 }: FollowOptions,
): AsyncGenerator<string> {
  let offset = existsSync(file) ? statSync(file).size : 0;
  if (lines > 0) yield* consoleTail(file, lines);
  if (!follow) return;
  let partial = "";
  while (!signal?.aborted) {
    await Bun.sleep(pollMs);
    const size = existsSync(file) ? statSync(file).size : 0;
    if (size < offset) {
      offset = 0;
      partial = "";
    }
    if (size === offset) continue;
    const text = partial + stripTerminalControls(await Bun.file(file).slice(offset, size).text());
    offset = size;
    const parts = text.split("\n");
    partial = parts.pop() ?? "";
    for (const line of parts) if (line.trim() !== "") yield line;
  }
}
