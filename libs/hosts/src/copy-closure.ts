/**
 * Gets machines' closures onto a host before it starts them, with Nix's own `nix copy` over SSH
 * (`ssh-ng://user@host`, argv only, no shell), the host's `sshOptions` in `NIX_SSHOPTS`. Hosts
 * that build for themselves or share this computer's store need nothing. Nix builds ssh's argv
 * itself with the target first, so no `--` can precede it: the hosts file's schema keeps the
 * target from starting with `-`.
 */
import { NIX_FEATURE_FLAGS } from "@nohead/nixgen";
import { type ManifestMachine, NoheadError } from "@nohead/schema";
import type { Host } from "./host.ts";

/** The top-level store paths (`/nix/store/<hash>-<name>`) of the machines' runners and systems. */
export function closureRoots(machines: ManifestMachine[], storeDir = "/nix/store"): string[] {
  const roots = new Set<string>();
  for (const machine of machines) {
    for (const path of [machine.runner, machine.system]) {
      const [object] = path.startsWith(`${storeDir}/`) ? path.slice(storeDir.length + 1).split("/") : [];
      if (object) roots.add(`${storeDir}/${object}`);
    }
  }
  return [...roots].sort();
}

/**
 * `NIX_SSHOPTS` for `nix copy`: the environment's own, then the host's options. Nix splits it at
 * whitespace (no quoting), so an option holding whitespace cannot travel in it and is refused.
 */
export function nixSshOpts(
  host: Pick<Host, "name" | "sshOptions">,
  inherited: string | undefined,
): string | undefined {
  const options = host.sshOptions ?? [];
  const spaced = options.find((o) => /\s/.test(o));
  if (spaced !== undefined) {
    throw new NoheadError(
      "config",
      `host ${host.name}: the ssh option "${spaced}" holds whitespace, which nix copy cannot pass on (Nix splits NIX_SSHOPTS at whitespace)`,
      { hint: "use paths without spaces in sshOptions (a symlink to the key will do)" },
    );
  }
  const joined = [inherited ?? "", ...options].filter((o) => o !== "").join(" ");
  return joined === "" ? undefined : joined;
}

/** The `nix copy` argv that sends `storePaths` to `sshTarget`. */
export function nixCopyArgv(sshTarget: string, storePaths: string[]): string[] {
  return [
    "nix",
    ...NIX_FEATURE_FLAGS,
    "copy",
    "--substitute-on-destination",
    "--to",
    `ssh-ng://${sshTarget}`,
    ...storePaths,
  ];
}

export interface CopyReport {
  host: string;
  /** What was sent (empty when the host needs nothing). */
  copied: string[];
  durationMs: number;
}

/**
 * Copies `storePaths` (and their closures) to `host` when it is a nix-copy host; a no-op for the
 * others. Fails with the end of Nix's message and what to check.
 *
 * @example
 * await copyClosure(lab, closureRoots(placed.get("lab") ?? []));
 */
export async function copyClosure(
  host: Pick<Host, "name" | "closures" | "sshTarget" | "sshOptions">,
  storePaths: string[],
  {
    timeoutMs = 30 * 60_000,
    env = process.env,
  }: { timeoutMs?: number; env?: Record<string, string | undefined> } = {},
): Promise<CopyReport> {
  const started = performance.now();
  if (host.closures !== "nix-copy" || storePaths.length === 0)
    return { host: host.name, copied: [], durationMs: 0 };
  if (!host.sshTarget) {
    throw new NoheadError("config", `host ${host.name} copies closures with nix copy but has no sshTarget`, {
      hint: 'set "sshTarget": "user@host" for it in the hosts file',
    });
  }
  for (const path of storePaths) {
    if (!path.startsWith("/") || path.startsWith("-")) {
      throw new NoheadError("usage", `not a store path: ${path}`);
    }
  }
  const { NIX_SSHOPTS: inherited, ...rest } = env;
  const sshOpts = nixSshOpts(host, inherited);
  const child = Bun.spawn(nixCopyArgv(host.sshTarget, storePaths), {
    stdin: "ignore",
    stdout: "ignore",
    stderr: "pipe",
    env: sshOpts === undefined ? rest : { ...rest, NIX_SSHOPTS: sshOpts },
    timeout: timeoutMs,
    killSignal: "SIGTERM",
  });
  const [stderr, exitCode] = await Promise.all([new Response(child.stderr).text(), child.exited]);
  if (exitCode !== 0) {
    const timedOut = child.signalCode !== null && performance.now() - started >= timeoutMs;
    const tail = stderr.replace(/\r/g, "").trim().split("\n").slice(-5).join("\n");
    throw new NoheadError(
      "failed",
      timedOut
        ? `copying ${storePaths.length} store path(s) to host ${host.name} (${host.sshTarget}) did not finish within ${Math.round(timeoutMs / 1000)} s`
        : `copying ${storePaths.length} store path(s) to host ${host.name} (${host.sshTarget}) failed (nix copy exited ${exitCode}):\n${tail}`,
      {
        hint: `check that \`ssh ${host.sshTarget}\` works without a password and that its user may import paths (nix.settings.trusted-users), or use closures "agent-builds"`,
      },
    );
  }
  return { host: host.name, copied: storePaths, durationMs: performance.now() - started };
}
