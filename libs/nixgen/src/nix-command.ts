/**
 * Runs the `nix` and `nix-instantiate` programs: the only place that spawns them. Adds the
 * experimental features nohead needs (so users need no nix.conf change) and turns failures into
 * a NixError with the readable Nix message.
 */
import { execa } from "execa";
import { NixError, summarizeNixError } from "./nix-error.ts";

/** Flags every `nix` call gets: flakes and the new CLI, whatever the user's nix.conf says. */
export const NIX_FEATURE_FLAGS = ["--extra-experimental-features", "nix-command flakes"];

export interface RunNixOptions {
  /** Directory to run in (relative flake references resolve against it). */
  cwd?: string;
  /** Called with each stderr line as it arrives (for progress). */
  onStderrLine?: (line: string) => void;
  /** Aborts the command (SIGTERM, then SIGKILL after 5 s). */
  signal?: AbortSignal;
}

export interface NixOutput {
  stdout: string;
  stderr: string;
}

/**
 * Runs `nix <args>` (or `nix-instantiate`/`nix-store` when `program` says so) and returns its output;
 * throws NixError with the Nix message and location when it fails.
 *
 * @example
 * const { stdout } = await runNix("nix", ["eval", "--json", "--expr", "1 + 1"]);
 * // stdout === "2\n"
 */
export async function runNix(
  program: "nix" | "nix-instantiate" | "nix-store",
  args: string[],
  options: RunNixOptions = {},
): Promise<NixOutput> {
  const command = program === "nix" ? [...NIX_FEATURE_FLAGS, ...args] : args;
  const child = execa(program, command, {
    cwd: options.cwd,
    reject: false,
    stdin: "ignore",
    cancelSignal: options.signal,
    forceKillAfterDelay: 5000,
    lines: false,
    stripFinalNewline: false,
  });
  const stderrChunks: string[] = [];
  let partial = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    stderrChunks.push(chunk);
    if (!options.onStderrLine) return;
    const lines = (partial + chunk).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) options.onStderrLine(line);
  });
  const result = await child;
  if (partial && options.onStderrLine) options.onStderrLine(partial);
  const stderr = stderrChunks.join("");
  const stdout = typeof result.stdout === "string" ? result.stdout : "";
  if (result.failed) {
    if (result.code === "ENOENT" || /ENOENT/.test(String(result.message))) {
      throw new NixError(
        `${program} was not found on PATH; install Nix (https://nixos.org/download) or enter the dev shell`,
        { command: [program, ...command], exitCode: undefined, stderr, location: undefined },
        { cause: result },
      );
    }
    const { message, location } = summarizeNixError(stderr);
    throw new NixError(
      result.isCanceled ? `${program} was cancelled` : message,
      { command: [program, ...command], exitCode: result.exitCode, stderr, location },
      { cause: result },
    );
  }
  return { stdout, stderr };
}
