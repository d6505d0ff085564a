/**
 * Files between the host and a guest through the guest agent (`guest-file-open/read/write/close`),
 * in 1 MiB chunks: binary-safe, any size, no shared directory or SSH needed. A handle is always
 * closed, or the agent keeps it open for the guest's lifetime.
 */
import { closeSync, openSync, readSync, writeSync } from "node:fs";
import type { GuestAgentClient } from "@nohead/qemu";
import { z } from "zod";

/** Bytes per agent request: 1 MiB is 1.4 MB of base64, well under the agent's request limit. */
export const CHUNK_BYTES = 1024 * 1024;

const FileRead = z.object({ count: z.number().int().nonnegative(), "buf-b64": z.string(), eof: z.boolean() });
const FileWrite = z.object({ count: z.number().int().nonnegative() });

/** A deadline shared by every request of one copy. */
type Remaining = () => number;

async function withHandle<T>(
  agent: GuestAgentClient,
  path: string,
  mode: "r" | "w",
  remaining: Remaining,
  use: (handle: number) => Promise<T>,
): Promise<T> {
  const handle = z
    .number()
    .int()
    .parse(await agent.execute("guest-file-open", { path, mode }, { timeoutMs: remaining() }));
  try {
    return await use(handle);
  } finally {
    // The copy's own outcome wins over a failure to close; a handle needs a moment past the deadline.
    await agent
      .execute("guest-file-close", { handle }, { timeoutMs: Math.max(remaining(), 1000) })
      .catch(() => undefined);
  }
}

/** Copies the host file `hostPath` to `guestPath` (created or truncated); returns the bytes written. */
export async function writeGuestFile(
  agent: GuestAgentClient,
  hostPath: string,
  guestPath: string,
  remaining: Remaining,
): Promise<number> {
  const fd = openSync(hostPath, "r");
  try {
    return await withHandle(agent, guestPath, "w", remaining, async (handle) => {
      const buffer = Buffer.alloc(CHUNK_BYTES);
      let total = 0;
      for (;;) {
        const length = readSync(fd, buffer, 0, CHUNK_BYTES, null);
        if (length === 0) return total;
        let offset = 0;
        while (offset < length) {
          const chunk = buffer.subarray(offset, length);
          const reply = await agent.execute(
            "guest-file-write",
            { handle, "buf-b64": chunk.toString("base64") },
            { timeoutMs: remaining() },
          );
          const { count } = FileWrite.parse(reply);
          if (count === 0) throw new Error(`the guest agent wrote 0 bytes to ${guestPath} (disk full?)`);
          offset += count;
        }
        total += length;
      }
    });
  } finally {
    closeSync(fd);
  }
}

/** Copies the guest file `guestPath` to the host file `hostPath` (created or truncated); returns the bytes read. */
export async function readGuestFile(
  agent: GuestAgentClient,
  guestPath: string,
  hostPath: string,
  remaining: Remaining,
): Promise<number> {
  return withHandle(agent, guestPath, "r", remaining, async (handle) => {
    const fd = openSync(hostPath, "w", 0o644);
    try {
      let total = 0;
      for (;;) {
        const reply = await agent.execute(
          "guest-file-read",
          { handle, count: CHUNK_BYTES },
          { timeoutMs: remaining() },
        );
        const read = FileRead.parse(reply);
        const bytes = Buffer.from(read["buf-b64"], "base64");
        if (bytes.length !== read.count) {
          throw new Error(
            `the guest agent said it read ${read.count} bytes of ${guestPath} but sent ${bytes.length}`,
          );
        }
        writeSync(fd, bytes);
        total += bytes.length;
        if (read.eof || read.count === 0) return total;
      }
    } finally {
      closeSync(fd);
    }
  });
}
