/**
 * The one place where the agent turns an error into an answer: a NoheadError's kind gives the
 * HTTP status (HTTP_STATUS in @nohead/schema), an HTTPException keeps its status (and its
 * WWW-Authenticate header), anything else is a 500. The body is always
 * `{ error: { kind, message, hint } }` JSON, never an HTML page or a stack trace.
 */
import { QemuProtocolError } from "@nohead/qemu";
import { HTTP_STATUS, NoheadError } from "@nohead/schema";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ErrorBody } from "./agent-api.ts";

/** Kinds of errors that are HTTP's own, by status. */
const HTTP_KINDS: Record<number, string> = {
  400: "usage",
  401: "unauthorized",
  403: "forbidden",
  404: "not-found",
  405: "method-not-allowed",
  409: "conflict",
  413: "too-large",
  415: "unsupported-media-type",
};

const HTTP_HINTS: Record<number, string> = {
  401: "send `Authorization: Bearer <token>` with the agent's token (see `nohead agent token`)",
  413: "requests are limited to 1 MiB; send fewer machines at once",
};

/** The status and JSON body answering `error`. */
export function errorAnswer(error: unknown): {
  status: ContentfulStatusCode;
  body: ErrorBody;
  headers: Headers;
} {
  const headers = new Headers();
  if (error instanceof NoheadError) {
    return {
      status: HTTP_STATUS[error.kind],
      headers,
      body: {
        error: {
          kind: error.kind,
          message: error.machine ? `${error.machine}: ${error.message}` : error.message,
          hint: error.hint ?? null,
          machine: error.machine ?? null,
        },
      },
    };
  }
  if (error instanceof HTTPException) {
    const status = error.status as ContentfulStatusCode;
    const challenge = error.res?.headers.get("WWW-Authenticate");
    if (challenge) headers.set("WWW-Authenticate", challenge);
    return {
      status,
      headers,
      body: {
        error: {
          kind: HTTP_KINDS[status] ?? "http",
          message: error.message || (status === 401 ? "a valid token is required" : `HTTP ${status}`),
          hint: HTTP_HINTS[status] ?? null,
          ...(status === 400
            ? { issues: [{ path: "(request)", message: error.message || "bad request" }] }
            : {}),
        },
      },
    };
  }
  if (error instanceof QemuProtocolError) {
    return { status: 500, headers, body: { error: { kind: "failed", message: error.message, hint: null } } };
  }
  return {
    status: 500,
    headers,
    body: {
      error: {
        kind: "bug",
        message: `the agent failed unexpectedly: ${error instanceof Error ? error.message : String(error)}`,
        hint: "this is a bug in nohead; the agent's log has the stack trace",
      },
    },
  };
}

/** `app.onError`: answers every error with {@link errorAnswer}; logs bugs with their stack. */
export function onAgentError(error: unknown, c: Context): Response {
  const { status, body, headers } = errorAnswer(error);
  if (body.error.kind === "bug") console.error(error);
  for (const [key, value] of headers) c.header(key, value);
  return c.json(body, status);
}

/** `app.notFound`: a JSON 404 naming the route that does not exist. */
export function onAgentNotFound(c: Context): Response {
  return c.json(
    {
      error: {
        kind: "not-found",
        message: `there is no route ${c.req.method} ${c.req.path}`,
        hint: "the API is under /v1 (docs/agent.md lists the routes)",
      },
    } satisfies ErrorBody,
    404,
  );
}
