/** The version an agent (and the project's supervisor) reports at `/v1/health`. */
export const AGENT_VERSION = "0.1.0";
