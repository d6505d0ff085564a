/**
 * Where a fleet's configuration comes from: a flake attribute (`-c flake#attr`, like no-headache)
 * or a configs.nix file used directly (`-f configs.nix`, no flake registration, no git).
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { notFoundError } from "@nohead/schema";

export type ConfigSource =
  | { kind: "flake"; ref: string; label: string }
  | { kind: "file"; path: string; customArgsPath: string | undefined; label: string };

/** File beside configs.nix whose attrset is passed as `customArgs` (when present). */
export const CUSTOM_ARGS_FILE = "custom-args.nix";

/**
 * Resolves `-c`/`-f` options (and the defaults when neither is given) into config sources.
 * Without options: `./flake.nix` → `.#default`, else `./configs.nix` → a file source; with
 * `prefer: "configs.nix"` (plan: it must not need the flake's inputs) `./configs.nix` comes first.
 *
 * @example
 * resolveConfigSources({ files: ["examples/python/configs.nix"], cwd: "/p" })
 * // => [{ kind: "file", path: "/p/examples/python/configs.nix", customArgsPath: undefined, … }]
 */
export function resolveConfigSources({
  flakes = [],
  files = [],
  customArgs,
  cwd,
  prefer = "flake",
}: {
  flakes?: string[];
  files?: string[];
  customArgs?: string | undefined;
  cwd: string;
  prefer?: "flake" | "configs.nix";
}): ConfigSource[] {
  if (customArgs !== undefined && !existsSync(resolve(cwd, customArgs))) {
    throw notFoundError(`--custom-args file ${customArgs} does not exist`);
  }
  const sources: ConfigSource[] = [
    ...flakes.map((ref): ConfigSource => ({ kind: "flake", ref: withAttr(ref), label: ref })),
    ...files.map((file) =>
      fileSource(resolve(cwd, file), customArgs ? resolve(cwd, customArgs) : undefined, file),
    ),
  ];
  if (sources.length > 0) return sources;
  const hasConfigs = existsSync(join(cwd, "configs.nix"));
  if (prefer === "configs.nix" && hasConfigs)
    return [fileSource(join(cwd, "configs.nix"), undefined, "configs.nix")];
  if (existsSync(join(cwd, "flake.nix"))) return [{ kind: "flake", ref: ".#default", label: ".#default" }];
  if (hasConfigs) return [fileSource(join(cwd, "configs.nix"), undefined, "configs.nix")];
  throw notFoundError(
    "no configuration found: there is no flake.nix or configs.nix here",
    "pass -c flake#attr or -f path/to/configs.nix, or create a project with `nohead init`",
  );
}

function withAttr(ref: string): string {
  return ref.includes("#") ? ref : `${ref}#default`;
}

function fileSource(path: string, customArgsPath: string | undefined, label: string): ConfigSource {
  if (!existsSync(path)) {
    throw notFoundError(`configuration file ${label} does not exist (looked at ${path})`);
  }
  const beside = join(dirname(path), CUSTOM_ARGS_FILE);
  return {
    kind: "file",
    path,
    customArgsPath: customArgsPath ?? (existsSync(beside) ? beside : undefined),
    label,
  };
}
