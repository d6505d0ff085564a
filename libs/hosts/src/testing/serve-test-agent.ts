/**
 * An agent for libs/hosts' tests: the host API app on a loopback port with a fresh token, over a
 * state dir — what `nohead agent serve` runs, without the app (libs never import apps).
 */
import { createApp } from "../api/app.ts";
import { openAgentFleet } from "../api/agent-fleet.ts";
import { serveApp } from "../api/serve-app.ts";
import { generateToken } from "../api/token-file.ts";

export interface TestAgent {
  url: string;
  token: string;
  stop(): Promise<void>;
}

/** Serves an agent over `stateDir`; `storeDir` is where runner paths must live (default /nix/store). */
export function serveTestAgent({ stateDir, storeDir }: { stateDir: string; storeDir?: string }): TestAgent {
  const token = generateToken();
  const { fleet, machines } = openAgentFleet(stateDir);
  const app = createApp({ fleet, machines, token, version: "test", ...(storeDir ? { storeDir } : {}) });
  const served = serveApp(app, { hostname: "127.0.0.1", port: 0 });
  return { url: `http://127.0.0.1:${served.port}`, token, stop: () => served.stop() };
}
