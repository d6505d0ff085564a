import { describe, expect, test } from "bun:test";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createTokenFile,
  defaultTokenFile,
  generateToken,
  readTokenFile,
  resolveToken,
  validTokenProblem,
} from "./token-file.ts";
import { noheadErrorOf } from "@nohead/schema/testing";

const dir = () => mkdtempSync(join(tmpdir(), "nohead-token-"));

describe("token files", () => {
  test("created with mode 0600, 43 base64url characters, readable back", () => {
    const file = join(dir(), "sub", "token");
    const token = createTokenFile(file);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, "utf8")).toBe(`${token}\n`);
    expect(readTokenFile(file)).toBe(token);
  });

  test("an existing file is never overwritten without force; with force it gets a new token and mode", () => {
    const file = join(dir(), "token");
    const first = createTokenFile(file);
    const refused = noheadErrorOf(() => createTokenFile(file));
    expect(refused.kind).toBe("conflict");
    expect(refused.message).toBe(`${file} already exists; not overwriting it`);
    expect(readTokenFile(file)).toBe(first);
    chmodSync(file, 0o644);
    const second = createTokenFile(file, { force: true });
    expect(second).not.toBe(first);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  test("a token file others can read is refused, naming the fix", () => {
    const file = join(dir(), "token");
    writeFileSync(file, generateToken(), { mode: 0o644 });
    chmodSync(file, 0o644);
    const error = noheadErrorOf(() => readTokenFile(file));
    expect(error.kind).toBe("config");
    expect(error.message).toBe(`the token file ${file} can be read by others (mode 644)`);
    expect(error.hint).toBe(`run \`chmod 600 ${file}\``);
  });

  test("a token file in a directory others can write to is refused: they could swap the token", () => {
    const shared = join(dir(), "shared");
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    const file = join(shared, "token");
    writeFileSync(file, generateToken(), { mode: 0o600 });
    const error = noheadErrorOf(() => readTokenFile(file));
    expect(error.kind).toBe("config");
    expect(error.message).toBe(
      `the token file ${file} is in ${shared}, which others can write to (mode 777): they could replace the token`,
    );
    expect(error.hint).toBe(
      `keep it in a directory only you can write to, such as ~/.config/nohead, or run \`chmod go-w ${shared}\``,
    );
    // Sticky (like /tmp) is refused too, and nothing is written there.
    chmodSync(shared, 0o1777);
    const created = join(shared, "new-token");
    expect(noheadErrorOf(() => createTokenFile(created)).message).toContain(
      "which others can write to (mode 1777)",
    );
    expect(existsSync(created)).toBe(false);
  });

  test("a token file of another user, or a link to a token in a writable directory, is refused", () => {
    const d = dir();
    const theirs = join(d, "theirs");
    writeFileSync(theirs, generateToken(), { mode: 0o600 });
    chownSync(theirs, 64_004, 64_004);
    expect(noheadErrorOf(() => readTokenFile(theirs)).message).toBe(
      `the token file ${theirs} belongs to uid 64004, not to you (uid ${process.getuid?.()}): someone else chose that token`,
    );
    const shared = join(d, "shared");
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    writeFileSync(join(shared, "token"), generateToken(), { mode: 0o600 });
    const link = join(d, "link");
    symlinkSync(join(shared, "token"), link);
    expect(noheadErrorOf(() => readTokenFile(link)).message).toBe(
      `the token file ${link} is in ${shared}, which others can write to (mode 777): they could replace the token`,
    );
    // A link to a private token in a private directory is fine (agenix, sops-nix).
    const privateToken = join(d, "private-token");
    const token = createTokenFile(privateToken);
    symlinkSync(privateToken, join(d, "good-link"));
    expect(readTokenFile(join(d, "good-link"))).toBe(token);
  });

  test("missing and weak tokens are refused", () => {
    const d = dir();
    expect(noheadErrorOf(() => readTokenFile(join(d, "none"))).kind).toBe("not-found");
    const weak = join(d, "weak");
    writeFileSync(weak, "short\n", { mode: 0o600 });
    expect(noheadErrorOf(() => readTokenFile(weak)).message).toBe(
      `the token in ${weak} is too short (5 characters; at least 32)`,
    );
    expect(validTokenProblem(`${"a".repeat(40)} b`)).toBe(
      "holds characters a bearer token cannot (letters, digits and ._~+/- only)",
    );
    expect(validTokenProblem(generateToken())).toBeNull();
  });

  test("resolution order: the file given, then the systemd credential, then the default file", () => {
    const d = dir();
    const given = join(d, "given");
    const givenToken = createTokenFile(given);
    const credentials = join(d, "creds");
    mkdirSync(credentials);
    // systemd makes credentials 0400 owned by the service; the mode check is skipped for them.
    const credToken = generateToken();
    writeFileSync(join(credentials, "token"), credToken, { mode: 0o644 });
    const home = join(d, "home");
    const env = { HOME: home, CREDENTIALS_DIRECTORY: credentials };
    expect(resolveToken(given, env)).toEqual({ token: givenToken, source: given });
    expect(resolveToken(undefined, env)).toEqual({ token: credToken, source: "systemd credential token" });
    const fallback = defaultTokenFile({ HOME: home });
    expect(fallback).toBe(join(home, ".config", "nohead", "agent-token"));
    const fallbackToken = createTokenFile(fallback);
    expect(resolveToken(undefined, { HOME: home })).toEqual({ token: fallbackToken, source: fallback });
    expect(defaultTokenFile({ XDG_CONFIG_HOME: "/x" })).toBe("/x/nohead/agent-token");
  });
});
