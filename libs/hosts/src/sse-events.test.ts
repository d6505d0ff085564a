import { describe, expect, test } from "bun:test";
import { readSse } from "./sse-events.ts";

function body(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

describe("reading server-sent events", () => {
  test("events split across chunks, multi-line data, comments skipped, CRLF accepted", async () => {
    const events = [];
    for await (const e of readSse(
      body([
        "event: li",
        "ne\ndata: one\n\n: heartbeat\n\n",
        "data: a\r\ndata: b\r\n\r\n",
        "event: end\ndata: \n\n",
      ]),
    )) {
      events.push(e);
    }
    expect(events).toEqual([
      { event: "line", data: "one" },
      { event: "message", data: "a\nb" },
      { event: "end", data: "" },
    ]);
  });

  test("an unfinished last event is dropped", async () => {
    const events = [];
    for await (const e of readSse(body(["data: whole\n\n", "data: half"]))) events.push(e);
    expect(events).toEqual([{ event: "message", data: "whole" }]);
  });
});
