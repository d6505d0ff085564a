/** @jsxImportSource hono/jsx */
/** The login form: the browser POSTs the agent's token once and gets a session cookie. */
import { Layout } from "./layout.tsx";

export function LoginPage({ title, nonce, error }: { title: string; nonce: string; error?: string }) {
  return (
    <Layout title={`${title} — sign in`} nonce={nonce}>
      <form class="login" method="post" action="/login">
        <h1>{title}</h1>
        <label for="token">Token</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required autofocus />
        {error ? <p class="error">{error}</p> : null}
        <button type="submit">Sign in</button>
        <p class="meta">
          The token is in the agent's token file (<code>nohead agent token</code> made it);{" "}
          <code>nohead ui</code> prints a link that signs you in.
        </p>
      </form>
    </Layout>
  );
}
