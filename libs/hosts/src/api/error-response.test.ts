import { describe, expect, test } from "bun:test";
import { QemuProtocolError } from "@nohead/qemu";
import { HTTP_STATUS, NoheadError } from "@nohead/schema";
import { HTTPException } from "hono/http-exception";
import { errorAnswer } from "./error-response.ts";

describe("errors as answers", () => {
  test("a NoheadError's kind gives the status; machine, message and hint are kept", () => {
    for (const kind of ["usage", "config", "not-found", "conflict", "failed"] as const) {
      const answer = errorAnswer(new NoheadError(kind, "went wrong", { machine: "web-1", hint: "do this" }));
      expect(answer.status).toBe(HTTP_STATUS[kind]);
      expect(answer.body).toEqual({
        error: { kind, message: "web-1: went wrong", hint: "do this", machine: "web-1" },
      });
    }
  });

  test("an HTTPException keeps its status and its WWW-Authenticate challenge", () => {
    const res = new Response("Unauthorized", {
      status: 401,
      headers: { "WWW-Authenticate": 'Bearer error="invalid_token"' },
    });
    const answer = errorAnswer(new HTTPException(401, { res }));
    expect(answer.status).toBe(401);
    expect(answer.headers.get("WWW-Authenticate")).toBe('Bearer error="invalid_token"');
    expect(answer.body.error.kind).toBe("unauthorized");
    expect(answer.body.error.message).toBe("a valid token is required");
  });

  test("a QEMU protocol error is a 500 failure with its message; anything else a 500 bug", () => {
    expect(
      errorAnswer(
        new QemuProtocolError("guest agent did not answer", { channel: "guest-agent", socketPath: "/run/q" }),
      ),
    ).toMatchObject({
      status: 500,
      body: { error: { kind: "failed", message: "guest agent did not answer", hint: null } },
    });
    expect(errorAnswer(new TypeError("x is undefined"))).toMatchObject({
      status: 500,
      body: {
        error: {
          kind: "bug",
          message: "the agent failed unexpectedly: x is undefined",
          hint: "this is a bug in nohead; the agent's log has the stack trace",
        },
      },
    });
  });
});
