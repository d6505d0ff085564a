/**
 * What the agent asks Nix about store paths a client names: which are not valid (Nix never
 * registered them, or they are only lookalike directories), and the metadata and signatures of a
 * closure. Argv only, never a shell; paths are already checked to be under the store directory.
 */
import type { SignedPathInfo } from "./nix-signature.ts";

const NIX_COMMAND = ["--extra-experimental-features", "nix-command"];

async function nix(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = Bun.spawn(argv, { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { code, stdout, stderr };
}

/**
 * The paths among `storePaths` (store objects: `/nix/store/<hash>-<name>`) that Nix does not know
 * as valid. Throws when Nix cannot be asked at all.
 *
 * @example
 * await invalidStorePaths(["/nix/store/0000…-x"]) // => ["/nix/store/0000…-x"]
 */
export async function invalidStorePaths(storePaths: string[]): Promise<string[]> {
  if (storePaths.length === 0) return [];
  const { code, stdout, stderr } = await nix([
    "nix-store",
    "--check-validity",
    "--print-invalid",
    ...storePaths,
  ]);
  if (code !== 0) throw new Error(`nix-store --check-validity failed (${code}): ${stderr.trim()}`);
  return stdout.split("\n").filter((line) => line !== "");
}

/** Every path in the closures of `storePaths` with its hash, size, references and signatures. */
export async function closureInfo(storePaths: string[]): Promise<SignedPathInfo[]> {
  const { code, stdout, stderr } = await nix([
    "nix",
    ...NIX_COMMAND,
    "path-info",
    "--json",
    "--sigs",
    "--recursive",
    ...storePaths,
  ]);
  if (code !== 0) throw new Error(`nix path-info failed (${code}): ${stderr.trim()}`);
  return JSON.parse(stdout) as SignedPathInfo[];
}

/** The store paths in the closures of `paths` (links to the store are followed). */
export async function closureOf(paths: string[]): Promise<string[]> {
  if (paths.length === 0) return [];
  const { code, stdout, stderr } = await nix(["nix-store", "--query", "--requisites", ...paths]);
  if (code !== 0) throw new Error(`nix-store --query --requisites failed (${code}): ${stderr.trim()}`);
  return stdout.split("\n").filter((line) => line !== "");
}
