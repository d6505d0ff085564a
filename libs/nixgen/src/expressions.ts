/**
 * The Nix expressions and installables the CLI hands to `nix`. A file source needs no flake and
 * no git: the expression imports configs.nix by absolute path.
 */
import { join, resolve } from "node:path";
import type { ConfigSource } from "./config-source.ts";
import { nixPath, nixRaw, toNix } from "./to-nix.ts";

/** The nohead source tree (holds nix/lib and nix/build-config.nix). */
export const NOHEAD_ROOT = resolve(import.meta.dir, "../../..");

const THROWING_PKGS =
  'throw "nohead plan: `pkgs` is not available while planning; use it only inside nixos-config"';

function customArgsExpr(source: Extract<ConfigSource, { kind: "file" }>): string {
  return source.customArgsPath ? `import ${toNix(nixPath(source.customArgsPath))}` : "{ }";
}

/**
 * A pure expression evaluating to the plan of a configs.nix, with `pkgs` bound to a value that
 * throws when forced (so planning needs no nixpkgs).
 */
export function planExpression(source: Extract<ConfigSource, { kind: "file" }>): string {
  const lib = toNix(nixPath(join(NOHEAD_ROOT, "nix/lib")));
  const file = toNix(nixPath(source.path));
  return `(import ${lib}).planOf (import ${file} { pkgs = ${THROWING_PKGS}; customArgs = ${customArgsExpr(source)}; })`;
}

/**
 * An expression building a configs.nix with nohead's build-config.nix, against the nixpkgs at
 * `nixpkgsPath` (chosen by nixpkgs-source.ts; never `<nixpkgs>` from NIX_PATH).
 */
export function buildExpression(
  source: Extract<ConfigSource, { kind: "file" }>,
  { images, nixpkgsPath }: { images: boolean; nixpkgsPath: string | undefined },
): string {
  if (!nixpkgsPath) throw new Error(`nohead bug: no nixpkgs chosen to build ${source.label}`);
  const nixpkgs = toNix(nixPath(nixpkgsPath));
  return toNix(
    nixRaw(
      `import ${toNix(nixPath(join(NOHEAD_ROOT, "nix/build-config.nix")))} {
  pkgs = import ${nixpkgs} { system = builtins.currentSystem; };
  configsFile = ${toNix(nixPath(source.path))};
  makeDiskImages = ${images ? "true" : "false"};
  customArgs = ${customArgsExpr(source)};
}`,
    ),
  );
}

/**
 * The `nix` arguments naming attribute `attrPath` (e.g. ["nohead", "plan"]) of a source's build
 * result, as one or more installables.
 *
 * @example
 * installable({ kind: "flake", ref: ".#default", label: "" }, ["nohead", "plan"]) // => [".#default.nohead.plan"]
 */
export function installable(
  source: ConfigSource,
  attrPaths: string[][],
  options: { images: boolean; nixpkgsPath: string | undefined },
): string[] {
  if (source.kind === "flake") {
    return attrPaths.map((p) =>
      p.length === 0 ? source.ref : `${source.ref}.${p.map(quoteAttr).join(".")}`,
    );
  }
  return [
    "--impure",
    "--expr",
    buildExpression(source, options),
    ...attrPaths.map((p) => (p.length === 0 ? "" : p.map(quoteAttr).join("."))),
  ];
}

function quoteAttr(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_'-]*$/.test(name) ? name : JSON.stringify(name);
}
