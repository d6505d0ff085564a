/** The one place where TypeScript writes Nix and calls the `nix` CLI. */
export * from "./build-job.ts";
export * from "./config-source.ts";
export * from "./expressions.ts";
export * from "./nix-command.ts";
export * from "./nix-error.ts";
export * from "./nix-log.ts";
export * from "./nixpkgs-source.ts";
export * from "./nohead-flake-ref.ts";
export * from "./scaffold.ts";
export * from "./to-nix.ts";
