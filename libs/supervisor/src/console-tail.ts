/** The last lines of a VM's serial console log, cleaned of terminal control codes. */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { stripTerminalControls } from "./terminal-controls.ts";

/**
 * Up to `lines` last lines of `file` written after byte `from` (reads at most the last 64 KiB);
 * [] when it does not exist. `from` skips earlier boots: the log is appended across runs.
 */
export function consoleTail(file: string, lines = 20, from = 0): string[] {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch {
    return [];
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(Math.max(0, size - from), 64 * 1024);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    return stripTerminalControls(buffer.toString("utf8"))
      .split("\n")
      .filter((l) => l.trim() !== "")
      .slice(-lines);
  } finally {
    closeSync(fd);
  }
}
