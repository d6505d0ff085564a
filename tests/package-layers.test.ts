/**
 * The repository's layers, enforced: libs never import apps (apps are shells over libs), and each
 * package's package.json lists the workspace packages its code imports, while every npm package
 * imported anywhere is a dependency of the root package.json (the one lockfile).
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { REPO_ROOT } from "./support/run-cli.ts";

interface SourceFile {
  /** Path relative to the repository root. */
  path: string;
  text: string;
}

interface Package {
  /** `apps/cli`, `libs/hosts`, … */
  dir: string;
  name: string;
  dependencies: string[];
}

const IMPORT =
  /(?:^|\s)(?:import|export)\s[^"'`;]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/gm;

/** Every module specifier `text` imports (static, re-export and dynamic with a literal). */
export function importsOf(text: string): string[] {
  return [...text.matchAll(IMPORT)].map((m) => (m[1] ?? m[2]) as string);
}

/** `@scope/name` or `name` of a bare specifier, or null for relative and built-in ones. */
function packageOf(specifier: string): string | null {
  if (specifier.startsWith(".") || specifier.startsWith("/")) return null;
  if (/^(node|bun):/.test(specifier) || specifier === "bun") return null;
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? `${parts[0]}/${parts[1]}` : (parts[0] as string);
}

/** Imports from a lib into an app: by package name or by a relative path that lands in apps/. */
export function layerViolations(files: SourceFile[], apps: Package[]): string[] {
  const appNames = new Set(apps.map((a) => a.name));
  return files
    .filter((f) => f.path.startsWith("libs/"))
    .flatMap((f) =>
      importsOf(f.text)
        .filter((spec) => {
          const pkg = packageOf(spec);
          if (pkg) return appNames.has(pkg);
          return (
            spec.startsWith(".") &&
            relative(REPO_ROOT, resolve(REPO_ROOT, dirname(f.path), spec)).startsWith("apps/")
          );
        })
        .map((spec) => `${f.path} imports ${spec}`),
    );
}

/** Workspace packages a package imports without listing them in its package.json. */
export function unlistedWorkspaceImports(pkg: Package, files: SourceFile[]): string[] {
  return files
    .filter((f) => f.path.startsWith(`${pkg.dir}/`))
    .flatMap((f) =>
      importsOf(f.text)
        .map(packageOf)
        .filter((p): p is string => p?.startsWith("@nohead/") === true)
        .filter((p) => p !== pkg.name && !pkg.dependencies.includes(p))
        .map((p) => `${pkg.dir} imports ${p} (${f.path}) but its package.json does not list it`),
    );
}

function sourcesUnder(dir: string): SourceFile[] {
  const out: SourceFile[] = [];
  const walk = (at: string) => {
    for (const entry of readdirSync(at)) {
      if (entry === "node_modules") continue;
      const full = join(at, entry);
      if (statSync(full).isDirectory()) walk(full);
      else if (/\.(ts|tsx)$/.test(entry))
        out.push({ path: relative(REPO_ROOT, full), text: readFileSync(full, "utf8") });
    }
  };
  walk(join(REPO_ROOT, dir));
  return out;
}

function packagesIn(group: "apps" | "libs"): Package[] {
  return readdirSync(join(REPO_ROOT, group)).map((name) => {
    const json = JSON.parse(readFileSync(join(REPO_ROOT, group, name, "package.json"), "utf8")) as {
      name: string;
      dependencies?: Record<string, string>;
    };
    return { dir: `${group}/${name}`, name: json.name, dependencies: Object.keys(json.dependencies ?? {}) };
  });
}

const apps = packagesIn("apps");
const libs = packagesIn("libs");
const files = [...sourcesUnder("apps"), ...sourcesUnder("libs")];

describe("layers", () => {
  test("no lib imports an app, in code or tests", () => {
    expect(layerViolations(files, apps)).toEqual([]);
  });

  test("the check catches an import by package name and by a relative path", () => {
    const planted: SourceFile[] = [
      { path: "libs/hosts/src/x.ts", text: 'import { serveAgent } from "@nohead/agent";\n' },
      { path: "libs/hosts/src/y.ts", text: 'const m = await import("../../../apps/cli/src/main.ts");\n' },
      { path: "apps/cli/src/z.ts", text: 'import { Fleet } from "@nohead/supervisor";\n' },
    ];
    expect(layerViolations(planted, apps)).toEqual([
      "libs/hosts/src/x.ts imports @nohead/agent",
      "libs/hosts/src/y.ts imports ../../../apps/cli/src/main.ts",
    ]);
  });

  test("no lib's package.json depends on an app", () => {
    const appNames = new Set(apps.map((a) => a.name));
    expect(
      libs.flatMap((l) => l.dependencies.filter((d) => appNames.has(d)).map((d) => `${l.dir} → ${d}`)),
    ).toEqual([]);
  });
});

describe("package.json files list what their code imports", () => {
  test.each([...apps, ...libs].map((p) => [p.dir, p] as const))("%s", (_dir, pkg) => {
    expect(unlistedWorkspaceImports(pkg, files)).toEqual([]);
  });

  test("the check names a workspace package imported but not listed", () => {
    const pkg: Package = { dir: "libs/qemu", name: "@nohead/qemu", dependencies: ["@nohead/schema"] };
    const planted: SourceFile[] = [
      { path: "libs/qemu/src/a.ts", text: 'import type { Fleet } from "@nohead/supervisor/fleet";\n' },
      {
        path: "libs/qemu/src/b.ts",
        text: 'export { x } from "@nohead/schema";\nimport { y } from "./b.ts";\n',
      },
    ];
    expect(unlistedWorkspaceImports(pkg, planted)).toEqual([
      "libs/qemu imports @nohead/supervisor (libs/qemu/src/a.ts) but its package.json does not list it",
    ]);
  });

  test("every npm package imported is a dependency of the root package.json", () => {
    const root = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    // `nohead/test` is no npm package: `nohead test` resolves it (a preload), the checkout's tsconfig maps it.
    const virtual = ["nohead"];
    const declared = new Set([
      ...Object.keys(root.dependencies),
      ...Object.keys(root.devDependencies),
      ...virtual,
    ]);
    const missing = [...sourcesUnder("apps"), ...sourcesUnder("libs"), ...sourcesUnder("tests")].flatMap(
      (f) =>
        importsOf(f.text)
          .map(packageOf)
          .filter((p): p is string => p !== null && !declared.has(p))
          .map((p) => `${f.path}: ${p}`),
    );
    expect(missing).toEqual([]);
  });
});
