/**
 * nohead's agent: the HTTP API and status page that run VMs on a host for remote nohead CLIs,
 * over the same runtime (@nohead/supervisor) the CLI uses locally.
 */
export * from "./agent-api.ts";
export * from "./agent-fleet.ts";
export * from "./app.ts";
export * from "./console-follow.ts";
export * from "./default-state-dir.ts";
export * from "./error-response.ts";
export * from "./flake-build.ts";
export * from "./flake-policy.ts";
export * from "./listen-address.ts";
export * from "./machine-store.ts";
export * from "./nix-signature.ts";
export * from "./page-sessions.ts";
export * from "./qemu-args.ts";
export * from "./request-guard.ts";
export * from "./runner-trust.ts";
export * from "./same-secret.ts";
export * from "./serve.ts";
export * from "./store-path.ts";
export * from "./token-auth.ts";
export * from "./token-file.ts";
