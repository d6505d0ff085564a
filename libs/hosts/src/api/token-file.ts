/**
 * The agent's token on disk: created random (256 bits, base64url) in a file only its owner can
 * read, never overwritten by accident, and refused — like ssh refuses a private key with loose
 * permissions — when others can read it, when it is not ours, or when it sits in a directory
 * others can write to (they could swap it for a token of their own, or for a link to one). A
 * symbolic link is followed and the file it reaches is checked the same way, in its directory.
 * Under systemd the token comes as the credential `token` (`$CREDENTIALS_DIRECTORY/token`),
 * which systemd already keeps private.
 */
import { randomBytes } from "node:crypto";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { writableByOthers } from "@nohead/qemu/private-directory";
import { NoheadError } from "@nohead/schema";

/** What a token may hold: the characters RFC 6750 allows in a bearer token. */
const TOKEN_PATTERN = /^[A-Za-z0-9._~+/-]+=*$/;
const MIN_TOKEN_LENGTH = 32;

/** Why `token` is not usable as the agent's token, or null. */
export function validTokenProblem(token: string): string | null {
  if (token.length < MIN_TOKEN_LENGTH)
    return `is too short (${token.length} characters; at least ${MIN_TOKEN_LENGTH})`;
  if (!TOKEN_PATTERN.test(token))
    return "holds characters a bearer token cannot (letters, digits and ._~+/- only)";
  return null;
}

/** A new random token. */
export function generateToken(): string {
  return randomBytes(32).toString("base64url");
}

/** Where `nohead agent token` writes by default: `$XDG_CONFIG_HOME/nohead/agent-token`. */
export function defaultTokenFile(env: Record<string, string | undefined> = process.env): string {
  return join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config"), "nohead", "agent-token");
}

/**
 * Writes a new random token to `file` with mode 0600 and returns it; refuses to replace an
 * existing file unless `force`.
 *
 * @example
 * createTokenFile("/etc/nohead/agent-token") // => "k3…" (the file now holds it)
 */
export function createTokenFile(file: string, { force = false }: { force?: boolean } = {}): string {
  if (existsSync(file) && !force) {
    throw new NoheadError("conflict", `${file} already exists; not overwriting it`, {
      hint: "pass --force to replace it (clients using the old token will be refused)",
    });
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  assertSafeDirectory(file, dirname(file));
  const token = generateToken();
  // A mode applies only when the file is created: remove the old one, then create exclusively.
  if (force) rmSync(file, { force: true });
  writeFileSync(file, `${token}\n`, { mode: 0o600, flag: "wx" });
  assertPrivate(file);
  return token;
}

/** Reads and checks the token in `file`. */
export function readTokenFile(file: string, { checkMode = true }: { checkMode?: boolean } = {}): string {
  if (!existsSync(file)) {
    throw new NoheadError("not-found", `the token file ${file} does not exist`, {
      hint: "create one with `nohead agent token --file <path>`",
    });
  }
  if (checkMode) assertPrivate(file);
  const token = readFileSync(file, "utf8").trim();
  const problem = validTokenProblem(token);
  if (problem) {
    throw new NoheadError("config", `the token in ${file} ${problem}`, {
      hint: "create a new one with `nohead agent token --force --file <path>`",
    });
  }
  return token;
}

/**
 * The agent's token: from `tokenFile`, else the systemd credential `token`, else the default
 * token file.
 */
export function resolveToken(
  tokenFile: string | undefined,
  env: Record<string, string | undefined> = process.env,
): { token: string; source: string } {
  if (tokenFile) return { token: readTokenFile(tokenFile), source: tokenFile };
  if (env.CREDENTIALS_DIRECTORY) {
    const file = join(env.CREDENTIALS_DIRECTORY, "token");
    if (existsSync(file))
      return { token: readTokenFile(file, { checkMode: false }), source: "systemd credential token" };
  }
  const file = defaultTokenFile(env);
  return { token: readTokenFile(file), source: file };
}

function assertPrivate(file: string): void {
  const real = realpathSync(file);
  assertSafeDirectory(file, dirname(file));
  if (real !== file) assertSafeDirectory(file, dirname(real));
  const stats = lstatSync(real);
  const uid = process.getuid?.() ?? 0;
  if (!stats.isFile()) throw new NoheadError("config", `the token file ${file} is not a regular file`);
  if (stats.uid !== uid) {
    throw new NoheadError(
      "config",
      `the token file ${file} belongs to uid ${stats.uid}, not to you (uid ${uid}): someone else chose that token`,
      { hint: "create your own with `nohead agent token --force --file <path>`" },
    );
  }
  const mode = stats.mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new NoheadError(
      "config",
      `the token file ${file} can be read by others (mode ${mode.toString(8)})`,
      {
        hint: `run \`chmod 600 ${file}\``,
      },
    );
  }
}

/** The directory holding the token file (or its link's target) must be ours or root's, and closed to others' writes. */
function assertSafeDirectory(file: string, dir: string): void {
  const stats = statSync(dir);
  const uid = process.getuid?.() ?? 0;
  const mode = stats.mode & 0o7777;
  if (stats.uid !== uid && stats.uid !== 0) {
    throw new NoheadError(
      "config",
      `the token file ${file} is in ${dir}, which belongs to uid ${stats.uid}: that user could replace the token`,
      { hint: "keep the token in a directory of yours, such as ~/.config/nohead" },
    );
  }
  if (writableByOthers(stats)) {
    throw new NoheadError(
      "config",
      `the token file ${file} is in ${dir}, which others can write to (mode ${mode.toString(8)}): they could replace the token`,
      {
        hint: `keep it in a directory only you can write to, such as ~/.config/nohead, or run \`chmod go-w ${dir}\``,
      },
    );
  }
}
