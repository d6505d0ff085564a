/**
 * nohead's agent: serves the host API (libs/hosts/src/api) on TCP with a token, so nohead CLIs on
 * other machines run VMs here over the same runtime (@nohead/supervisor) the CLI uses locally.
 */
export * from "./agent-version.ts";
export * from "./default-state-dir.ts";
export * from "./listen-address.ts";
export * from "./serve.ts";
export * from "./supervise.ts";
