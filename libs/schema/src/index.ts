/** Shared contracts of nohead: the manifest, state and API schemas, and the user-facing errors. */
export * from "./errors.ts";
export * from "./fleet-event.ts";
export * from "./json-schema.ts";
export * from "./manifest.ts";
export * from "./supervisor-record.ts";
export * from "./vm-event.ts";
export * from "./vm-state.ts";
