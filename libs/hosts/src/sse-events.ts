/**
 * Reads a Server-Sent Events body (the agent's logs, start and build streams) as events. Only
 * what the agent sends is handled: `event:` and `data:` fields, comment lines (heartbeats)
 * skipped, an empty line ending each event.
 */

export interface SseEvent {
  event: string;
  data: string;
}

/**
 * The events of `body`, in order, until it ends.
 *
 * @example
 * for await (const { event, data } of readSse(response.body)) if (event === "line") console.log(data);
 */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = "";
  let event = "message";
  let data: string[] = [];
  const reader = body.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let newline = buffer.indexOf("\n");
      while (newline >= 0) {
        const line = buffer.slice(0, newline).replace(/\r$/, "");
        buffer = buffer.slice(newline + 1);
        newline = buffer.indexOf("\n");
        if (line === "") {
          if (data.length > 0) yield { event, data: data.join("\n") };
          event = "message";
          data = [];
        } else if (line.startsWith(":")) {
          // A comment: the agent's heartbeat.
        } else {
          const colon = line.indexOf(":");
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
          if (field === "event") event = value;
          else if (field === "data") data.push(value);
        }
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
