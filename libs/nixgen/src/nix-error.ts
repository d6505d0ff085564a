/**
 * Turns what Nix prints on failure into something a user can read: the Nix message without
 * ANSI codes and trace noise, plus the file, line and column it points at.
 */

/** Where in a .nix file an error points. */
export interface NixLocation {
  file: string;
  line: number;
  column: number;
}

/** A Nix command failed; `message` is the readable Nix message, `location` where it points. */
export class NixError extends Error {
  override name = "NixError";
  constructor(
    message: string,
    readonly details: {
      command: string[];
      exitCode: number | undefined;
      stderr: string;
      location: NixLocation | undefined;
    },
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * An error's message with "the configuration" of nix/lib's validation message replaced by the
 * name the user gave it (`-f web.nix`, `-c .#lab`), so messages name the user's file.
 *
 * @example
 * messageNaming(new NixError("nohead: the configuration has 1 problem(s): …", details), "web.nix")
 * // => "nohead: web.nix has 1 problem(s): …"
 */
export function messageNaming(error: unknown, label: string): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace("nohead: the configuration has ", `nohead: ${label} has `);
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences are control characters
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

/** Removes terminal colour codes. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, "");
}

/**
 * Extracts the readable part of Nix's stderr: the last `error:` block (Nix prints the innermost
 * cause last), without `--show-trace` hints, `@nix` JSON lines, and locations in nohead's own
 * generated expressions (`at «string»:2:17:` and its excerpt: never the user's file).
 *
 * @example
 * summarizeNixError("error: undefined variable 'x'\n\n       at /p/configs.nix:3:5:\n")
 * // => { message: "undefined variable 'x'", location: { file: "/p/configs.nix", line: 3, column: 5 } }
 */
export function summarizeNixError(stderr: string): { message: string; location: NixLocation | undefined } {
  const lines = withoutGeneratedLocations(
    stripAnsi(stderr)
      .split("\n")
      .filter((l) => !l.startsWith("@nix ") && !l.includes("(use '--show-trace'")),
  );
  const starts = lines.flatMap((l, i) => (/^\s*error:/.test(l) ? [i] : []));
  const first = starts.length > 0 ? (starts[0] ?? 0) : 0;
  const block = lines.slice(first).join("\n").trim();
  // Nix indents continuation lines under "error: "; drop that so messages read as written.
  const message =
    block
      .replace(/^\s*error:\s*/, "")
      .replace(/\n {7}/g, "\n")
      .replace(/\n{3,}/g, "\n\n") || "nix failed without a message";
  const at = [...block.matchAll(/at (\/[^\s:]+|«[^»]+»):(\d+):(\d+):/g)].at(-1);
  const location =
    at?.[1] && at[2] && at[3]
      ? { file: at[1], line: Number.parseInt(at[2], 10), column: Number.parseInt(at[3], 10) }
      : undefined;
  return { message, location };
}

/** Drops each `at «string»:L:C:` line with the source excerpt under it (blank or `  N| …` lines). */
function withoutGeneratedLocations(lines: string[]): string[] {
  const kept: string[] = [];
  let skipping = false;
  for (const line of lines) {
    if (/^\s*at «string»:\d+:\d+:\s*$/.test(line)) {
      skipping = true;
      continue;
    }
    if (skipping && (line.trim() === "" || /^\s*\d*\s*\|/.test(line))) continue;
    skipping = false;
    kept.push(line);
  }
  return kept;
}

/**
 * Whether a Nix message says a download failed (a flake input or a tarball could not be
 * fetched): the network, not the configuration.
 *
 * @example
 * isDownloadFailure("unable to download 'https://api.github.com/…': Couldn't resolve host name (6)") // => true
 */
export function isDownloadFailure(message: string): boolean {
  return /^unable to download '/.test(message);
}
