/**
 * The host API: the Hono app every host serves — an agent on TCP with its token, the project's
 * supervisor on a unix socket — its zod request and response schemas, its auth, page and helpers.
 * The app's type (`AgentApp`) gives the typed client `hc<AgentApp>` that ApiHost uses.
 */
export * from "./agent-api.ts";
export * from "./agent-fleet.ts";
export * from "./app.ts";
export * from "./error-response.ts";
export * from "./flake-build.ts";
export * from "./machine-store.ts";
export * from "./store-path.ts";
export * from "./token-auth.ts";
export * from "./token-file.ts";
export * from "./serve-app.ts";
export * from "./allowed-qemu-args.ts";
export * from "./flake-policy.ts";
export * from "./nix-signature.ts";
export * from "./page-sessions.ts";
export * from "./request-guard.ts";
export * from "./runner-trust.ts";
