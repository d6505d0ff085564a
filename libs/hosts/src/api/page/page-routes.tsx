/** @jsxImportSource hono/jsx */
/**
 * The browser side of the agent: `GET /` shows the status page to a signed-in visitor and the
 * login form to others; `POST /login` checks the token and sets an HttpOnly, SameSite=Strict
 * session cookie; `GET /?token=…` does the same for the link `nohead ui` prints, then redirects
 * so the token leaves the address bar; `POST /logout` clears the cookie.
 */
import type { Fleet } from "@nohead/supervisor";
import { type Context, Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { AgentEnv } from "../app.ts";
import { csrfValue, SESSION_COOKIE, sameSecret, sessionValue } from "../token-auth.ts";
import { LoginPage } from "./login-page.tsx";
import { StatusPage } from "./status-page.tsx";

export interface PageOptions {
  fleet: () => Fleet;
  token: string;
  title: string;
  version: string;
}

export function pageRoutes({ fleet, token, title, version }: PageOptions) {
  const session = sessionValue(token);
  const csrf = csrfValue(token);
  const signedIn = (c: Context) => sameSecret(getCookie(c, SESSION_COOKIE), session);
  // Compare digests, so neither the length nor the content of a wrong token leaks through timing.
  const isToken = (given: unknown) => typeof given === "string" && sameSecret(sessionValue(given), session);
  const signIn = (c: Context) => {
    setCookie(c, SESSION_COOKIE, session, {
      httpOnly: true,
      sameSite: "Strict",
      path: "/",
      secure: new URL(c.req.url).protocol === "https:",
    });
    c.header("Cache-Control", "no-store");
    return c.redirect("/", 303);
  };
  const nonceOf = (c: Context<AgentEnv>) => c.get("secureHeadersNonce") ?? "";

  return new Hono<AgentEnv>()
    .get("/", (c) => {
      const given = c.req.query("token");
      if (given !== undefined) {
        if (isToken(given)) return signIn(c);
        c.status(401);
        return c.html(
          <LoginPage title={title} nonce={nonceOf(c)} error="That link's token is not this server's." />,
        );
      }
      if (!signedIn(c)) return c.html(<LoginPage title={title} nonce={nonceOf(c)} />);
      c.header("Cache-Control", "no-store");
      return c.html(
        <StatusPage
          title={title}
          version={version}
          nonce={nonceOf(c)}
          csrf={csrf}
          vms={fleet().status()}
          session={true}
        />,
      );
    })
    .post("/login", async (c) => {
      const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
      if (isToken(form.token)) return signIn(c);
      c.status(401);
      return c.html(<LoginPage title={title} nonce={nonceOf(c)} error="Wrong token." />);
    })
    .post("/logout", async (c) => {
      const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
      // A cross-site form could post here too: only our page knows the CSRF value.
      if (signedIn(c) && typeof form.csrf === "string" && sameSecret(form.csrf, csrf)) {
        deleteCookie(c, SESSION_COOKIE, { path: "/" });
      }
      return c.redirect("/", 303);
    });
}
