/**
 * `nohead ui`: the agent's status page for this project's VMs, served on loopback with a token
 * made for this run; the printed link signs the browser in. The token travels in the link's
 * fragment (`#token=`), which browsers never send to a server, and the page removes it from the
 * address bar; the session it gets lives in this process only (see the agent's page-sessions.ts).
 */
import { basename } from "node:path";
import { AGENT_VERSION, isLoopback, parseListen } from "@nohead/agent";
import { createApp, generateToken, serveApp } from "@nohead/hosts";
import { NoheadError, usageError } from "@nohead/schema";
import { openFleet } from "../open-fleet.ts";
import type { GlobalOptions } from "../program.ts";

export async function run([options]: unknown[], globals: GlobalOptions): Promise<number> {
  const { listen = "127.0.0.1:7421" } = options as { listen?: string };
  const address = parseListen(listen);
  if (!isLoopback(address.hostname)) {
    throw usageError(
      `nohead ui listens on loopback only, got ${listen}`,
      "to watch VMs from another machine, run `nohead agent serve` there (with TLS) or tunnel with ssh -L",
    );
  }
  const fleet = openFleet(globals);
  const token = generateToken();
  const app = createApp({
    fleet,
    token,
    version: AGENT_VERSION,
    title: `nohead — ${basename(fleet.project.root)}`,
  });
  let server: ReturnType<typeof serveApp>;
  try {
    server = serveApp(app, { hostname: address.hostname, port: address.port });
  } catch (error) {
    if ((error as { code?: string }).code !== "EADDRINUSE") throw error;
    throw new NoheadError("conflict", `${listen} is in use by another process (another \`nohead ui\`?)`, {
      hint: `pick another address with --listen, e.g. --listen ${address.hostname}:0 for any free port`,
      cause: error,
    });
  }
  const host = address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname;
  process.stdout.write(
    `status page of ${fleet.project.root}:\n  http://${host}:${server.port}/#token=${token}\n(Ctrl-C to stop; the VMs keep running)\n`,
  );
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await server.stop();
  return 0;
}
