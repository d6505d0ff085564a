/**
 * Recomputes the hash of the Nix package's node_modules (`nodeModulesHash` in
 * nix/package/pins.nix) the way the flake builds them: the files the fixed-output derivation
 * sees (package.json, bun.lock, bunfig.toml, the workspaces' package.json) copied to a temp
 * directory, nix/package/install-node-modules.sh run there by the pinned Bun, then
 * `nix hash path` of what it copied out.
 *
 * Usage: bun scripts/node-modules-hash.ts [--check] [--all-platforms]
 *   prints the hash; --check compares it with pins.nix (exit 1 on a difference);
 *   --all-platforms also installs with `--cpu=* --os=*` and says whether the tree is the same.
 * The pinned Bun is NOHEAD_PINNED_BUN, else `bun` on PATH or this process when their version is
 * the pinned one.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const ROOT = join(import.meta.dir, "..");

/** What nix/package/pins.nix pins (the fields the JavaScript side needs). */
export interface Pins {
  bun: { version: string; sources: Record<string, { asset: string; hash: string }> };
  nodeModulesHash: string;
}

async function run(argv: string[], options: { cwd?: string; env?: Record<string, string | undefined> } = {}) {
  const child = Bun.spawn(argv, { ...options, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  if (code !== 0) throw new Error(`${argv.join(" ")} exited ${code}: ${stderr.trim()}`);
  return stdout.trim();
}

/** nix/package/pins.nix, evaluated by the real Nix. */
export async function readPins(): Promise<Pins> {
  return JSON.parse(
    await run(["nix-instantiate", "--eval", "--strict", "--json", join(ROOT, "nix/package/pins.nix")]),
  );
}

/** The version a `bun` executable reports, or undefined when it does not run. */
async function versionOf(bun: string): Promise<string | undefined> {
  try {
    return await run([bun, "--version"]);
  } catch {
    return undefined;
  }
}

/**
 * A Bun executable of exactly `version`: NOHEAD_PINNED_BUN, `bun` on PATH, or this process;
 * undefined when none of them is that version.
 */
export async function findPinnedBun(version: string): Promise<string | undefined> {
  const candidates = [process.env.NOHEAD_PINNED_BUN, Bun.which("bun"), process.execPath];
  for (const candidate of candidates) {
    if (candidate && (await versionOf(candidate)) === version) return candidate;
  }
  return undefined;
}

/** The files the Nix derivation's source holds (nix/package/nohead.nix, `nodeModules.src`). */
function derivationSources(): string[] {
  const workspaces = ["apps", "libs"].flatMap((dir) =>
    readdirSync(join(ROOT, dir))
      .map((name) => `${dir}/${name}/package.json`)
      .filter((file) => existsSync(join(ROOT, file))),
  );
  return ["package.json", "bun.lock", "bunfig.toml", ...workspaces];
}

/**
 * The `nix hash path` of node_modules installed by `bun` the way the flake does it.
 * `installArgs` go to `bun install` (e.g. `--cpu=*` to install for every platform).
 *
 * @example await nodeModulesHash("/usr/local/bin/bun") // "sha256-…"
 */
export async function nodeModulesHash(bun: string, installArgs: string[] = []): Promise<string> {
  const work = mkdtempSync(join(tmpdir(), "nohead-node-modules-"));
  const source = join(work, "source");
  const out = join(work, "out");
  try {
    for (const file of derivationSources()) {
      mkdirSync(dirname(join(source, file)), { recursive: true });
      cpSync(join(ROOT, file), join(source, file));
    }
    mkdirSync(join(work, "home"));
    await run(["bash", join(ROOT, "nix/package/install-node-modules.sh"), out, ...installArgs], {
      cwd: source,
      env: { ...process.env, HOME: join(work, "home"), PATH: `${dirname(bun)}:${process.env.PATH ?? ""}` },
    });
    return await run(["nix", "--extra-experimental-features", "nix-command", "hash", "path", out]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** How to get the pinned Bun when it is missing (the message of the script and the test). */
export function missingBunHint(version: string): string {
  return (
    `no Bun ${version} found (NOHEAD_PINNED_BUN, bun on PATH, this process): run scripts/setup-machine.sh, ` +
    `or npm install --prefix DIR bun@${version} and set NOHEAD_PINNED_BUN=DIR/node_modules/.bin/bun`
  );
}

/** How to update the pin after a bun.lock change. */
export function updateHint(actual: string): string {
  return `set nodeModulesHash = "${actual}"; in nix/package/pins.nix (computed by bun scripts/node-modules-hash.ts with the pinned Bun)`;
}

if (import.meta.main) {
  const args = new Set(Bun.argv.slice(2));
  const pins = await readPins();
  const bun = await findPinnedBun(pins.bun.version);
  if (!bun) {
    console.error(`node-modules-hash: ${missingBunHint(pins.bun.version)}`);
    process.exit(1);
  }
  const hash = await nodeModulesHash(bun);
  console.log(hash);
  if (args.has("--all-platforms")) {
    const everywhere = await nodeModulesHash(bun, ["--cpu=*", "--os=*"]);
    console.log(
      everywhere === hash
        ? "same tree for every OS and CPU"
        : `differs with --cpu=* --os=*: ${everywhere} (some production dependency is platform-specific)`,
    );
  }
  if (args.has("--check") && hash !== pins.nodeModulesHash) {
    console.error(`node-modules-hash: pins.nix says ${pins.nodeModulesHash}; ${updateHint(hash)}`);
    process.exit(1);
  }
}
