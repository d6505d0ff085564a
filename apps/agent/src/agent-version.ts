/**
 * The version an agent (and the project's supervisor) reports at `/v1/health`. It changes with
 * the API or the runner contract (docs/agent.md, "Versions"): a CLI and an agent of different
 * versions may not understand each other's requests.
 */
export const AGENT_VERSION = "0.2.0";
