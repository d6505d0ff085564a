/**
 * Hosts for libs/hosts' tests, served in process: an agent (the host API on a loopback port with a
 * fresh token) and a supervisor (the same app on a unix socket, no token) over a state dir — what
 * `nohead agent serve` and `nohead supervise` run, without the apps (libs never import apps).
 */
import { join } from "node:path";
import { ApiHost } from "../api-host.ts";
import { type AgentAppOptions, createApp } from "../api/app.ts";
import { openAgentFleet } from "../api/agent-fleet.ts";
import { serveApp } from "../api/serve-app.ts";
import { generateToken } from "../api/token-file.ts";

export interface TestAgent {
  url: string;
  token: string;
  stop(): Promise<void>;
}

/**
 * Serves an agent over `stateDir` with its default rules (runners must be valid paths of
 * /nix/store), or with the `options` given (e.g. `allowedFlakes`).
 */
export function serveTestAgent({
  stateDir,
  ...options
}: { stateDir: string } & Partial<
  Omit<AgentAppOptions, "fleet" | "machines" | "token" | "version">
>): TestAgent {
  const token = generateToken();
  const { fleet, machines } = openAgentFleet(stateDir);
  const app = createApp({ ...options, fleet, machines, token, version: "test" });
  const served = serveApp(app, { hostname: "127.0.0.1", port: 0 });
  return { url: `http://127.0.0.1:${served.port}`, token, stop: () => served.stop() };
}

export interface TestSupervisor {
  /** The host API on the unix socket, as the CLI reaches this computer. */
  host: ApiHost;
  socket: string;
  stop(): Promise<void>;
}

/**
 * Serves the host API over `stateDir` on a unix socket without a token, configured as the
 * project's supervisor is (`nohead supervise`), in this process.
 */
export function serveTestSupervisor({ stateDir }: { stateDir: string }): TestSupervisor {
  const { fleet, machines } = openAgentFleet(stateDir);
  const app = createApp({
    fleet,
    machines,
    token: null,
    version: "test",
    storeDir: null,
    secretsDir: null,
    allowQemuArgs: "any",
    allowWindows: true,
  });
  const socket = join(stateDir, "api.sock");
  const served = serveApp(app, { unix: socket });
  const host = new ApiHost({
    name: "local",
    unix: async () => socket,
    what: `the test supervisor (${socket})`,
    hint: "the test's supervisor is served in process",
    closures: "local",
    windows: true,
  });
  return { host, socket, stop: () => served.stop() };
}
