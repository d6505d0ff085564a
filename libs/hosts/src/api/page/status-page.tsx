/** @jsxImportSource hono/jsx */
/**
 * The status page: a sign-in form, then every VM with its state, readiness, ports and uptime,
 * stop/restart buttons, and a live tail of one VM's console. The server sends it without data
 * (anyone may load it); the inline script signs in, keeps its session in sessionStorage and
 * fills the page from the JSON API.
 */
import { Layout } from "./layout.tsx";
import { PAGE_SCRIPT } from "./page-script.ts";

export interface StatusPageProps {
  title: string;
  version: string;
  nonce: string;
}

export function StatusPage({ title, version, nonce }: StatusPageProps) {
  return (
    <Layout title={title} nonce={nonce}>
      <form class="login" id="signin" hidden>
        <h1>{title}</h1>
        <label for="token">Token</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required />
        <p class="error" id="signin-error" />
        <button type="submit">Sign in</button>
        <p class="meta">
          The token is in the agent's token file (<code>nohead agent token</code> made it);{" "}
          <code>nohead ui</code> prints a link that signs you in.
        </p>
      </form>
      <main id="status" hidden>
        <header>
          <h1>{title}</h1>
          <span class="meta">
            nohead {version} · <span id="summary" /> · <span id="updated">live</span>
          </span>
          <button type="button" id="logout">
            sign out
          </button>
        </header>
        <p id="notice" role="status" />
        <table>
          <thead>
            <tr>
              <th>machine</th>
              <th>state</th>
              <th>readiness</th>
              <th>health</th>
              <th>pid</th>
              <th>ports</th>
              <th>uptime</th>
              <th />
            </tr>
          </thead>
          <tbody id="vms" />
        </table>
        <p class="empty" id="empty" hidden>
          No machines yet.
        </p>
        <section class="log">
          <h2>
            console of <span id="log-vm">—</span>
          </h2>
          <pre id="log" aria-live="off" />
        </section>
      </main>
      <script nonce={nonce} dangerouslySetInnerHTML={{ __html: PAGE_SCRIPT }} />
    </Layout>
  );
}
