/** @jsxImportSource hono/jsx */
/**
 * The browser side of the agent: `GET /` serves the status page — a shell that holds no data;
 * its script signs in and reads the same JSON API any client uses. `POST /login` takes the token
 * (JSON `{ "token": … }`) and answers a new session id, which the page keeps in sessionStorage
 * and sends in the `X-Nohead-Session` header; `POST /logout` ends the session it is sent with.
 * No cookie is set: browsers send cookies to every port of a host (see page-sessions.ts).
 */
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AgentEnv } from "../app.ts";
import { type PageSessions, SESSION_HEADER } from "../page-sessions.ts";
import { sameSecret } from "../same-secret.ts";
import { StatusPage } from "./status-page.tsx";

export interface PageOptions {
  token: string;
  sessions: PageSessions;
  title: string;
  version: string;
}

export function pageRoutes({ token, sessions, title, version }: PageOptions) {
  return new Hono<AgentEnv>()
    .get("/", (c) => {
      c.header("Cache-Control", "no-store");
      return c.html(<StatusPage title={title} version={version} nonce={c.get("secureHeadersNonce") ?? ""} />);
    })
    .post("/login", async (c) => {
      const body = (await c.req.json().catch(() => ({}))) as { token?: unknown };
      if (typeof body.token !== "string" || !sameSecret(body.token, token)) {
        throw new HTTPException(401, { message: "wrong token" });
      }
      const { id, expiresAt } = sessions.create();
      c.header("Cache-Control", "no-store");
      return c.json({ session: id, expiresAt });
    })
    .post("/logout", (c) => {
      const id = c.req.header(SESSION_HEADER);
      if (id !== undefined) sessions.revoke(id);
      return c.body(null, 204);
    });
}
