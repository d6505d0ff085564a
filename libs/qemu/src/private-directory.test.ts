import { afterAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { noheadErrorOf } from "@nohead/schema/testing";
import { ensurePrivateDirectory } from "./private-directory.ts";

/** A uid that is not ours (the suite runs as root; any uid works for chown). */
const OTHER_UID = 64_001;
const scratch = mkdtempSync(join(tmpdir(), "nohead-private-dir-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const modeOf = (path: string) => lstatSync(path).mode & 0o7777;
let n = 0;
const fresh = () => join(scratch, `case-${++n}`);

describe("a private directory", () => {
  test("is created mode 0700 with its missing parents, and used again as it is", () => {
    const dir = join(fresh(), "a", "b");
    ensurePrivateDirectory(dir, "the test directory");
    expect(modeOf(dir)).toBe(0o700);
    ensurePrivateDirectory(dir, "the test directory");
    expect(modeOf(dir)).toBe(0o700);
  });

  test("another user's directory, mode 0777, made before us is refused, naming the path and the fix", () => {
    const dir = fresh();
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    chownSync(dir, OTHER_UID, OTHER_UID);
    const error = noheadErrorOf(() =>
      ensurePrivateDirectory(dir, "the runtime directory", {
        alternative: "set XDG_RUNTIME_DIR to a directory of yours",
      }),
    );
    expect(error.kind).toBe("config");
    expect(error.message).toBe(
      `the runtime directory ${dir} belongs to uid ${OTHER_UID}, not to you (uid ${process.getuid?.()}): another user may have made it to take over your VMs' sockets or files`,
    );
    expect(error.hint).toBe(
      `remove ${dir} (as its owner or root) and run again; nohead creates it mode 0700, or set XDG_RUNTIME_DIR to a directory of yours`,
    );
  });

  test("a symbolic link is refused, even to a private directory of ours", () => {
    const target = fresh();
    mkdirSync(target, { mode: 0o700 });
    const link = fresh();
    symlinkSync(target, link);
    const error = noheadErrorOf(() => ensurePrivateDirectory(link, "the state directory"));
    expect(error.message).toBe(
      `the state directory ${link} is a symbolic link; nohead uses only a real directory it owns`,
    );
    // A dangling one too (mkdir fails on it first).
    const dangling = fresh();
    symlinkSync(join(scratch, "nowhere"), dangling);
    expect(noheadErrorOf(() => ensurePrivateDirectory(dangling, "x")).message).toContain(
      "is a symbolic link",
    );
  });

  test("our own directory that others can write to is refused; one they can only read is tightened", () => {
    const writable = fresh();
    mkdirSync(writable);
    chmodSync(writable, 0o777);
    const error = noheadErrorOf(() => ensurePrivateDirectory(writable, "the state directory"));
    expect(error.message).toBe(
      `the state directory ${writable} can be written by other users (mode 0777): someone may have put something in it`,
    );
    expect(error.hint).toBe(
      `check its contents, then \`chmod 700 ${writable}\` (or remove it and run again)`,
    );
    const readable = fresh();
    mkdirSync(readable);
    chmodSync(readable, 0o755);
    ensurePrivateDirectory(readable, "the state directory");
    expect(modeOf(readable)).toBe(0o700);
  });

  test("group write is fine only for the user's private group (umask 002 systems), not for a shared group", () => {
    // Root's primary group has no other member in /etc/group here, like a user private group.
    expect(process.getgid?.()).toBe(0);
    const project = fresh();
    mkdirSync(project);
    chmodSync(project, 0o2775);
    const own = join(project, ".nohead");
    mkdirSync(own);
    chmodSync(own, 0o775);
    ensurePrivateDirectory(own, "the state directory");
    expect(modeOf(own)).toBe(0o700);
    const shared = fresh();
    mkdirSync(shared);
    chmodSync(shared, 0o770);
    chownSync(shared, process.getuid?.() ?? 0, OTHER_UID);
    expect(noheadErrorOf(() => ensurePrivateDirectory(shared, "the state directory")).message).toBe(
      `the state directory ${shared} can be written by other users (mode 0770): someone may have put something in it`,
    );
    chmodSync(project, 0o775);
    chownSync(project, process.getuid?.() ?? 0, OTHER_UID);
    expect(noheadErrorOf(() => ensurePrivateDirectory(own, "the state directory")).message).toBe(
      `the state directory ${own} is in ${project}, which other users can write to (mode 0775): they could replace it`,
    );
  });

  test("a file in the way is refused", () => {
    const file = fresh();
    writeFileSync(file, "");
    expect(noheadErrorOf(() => ensurePrivateDirectory(file, "the state directory")).message).toBe(
      `the state directory ${file} is not a directory`,
    );
  });

  test("a parent others can write to (not sticky), or another user's, is refused; a sticky one like /tmp is fine", () => {
    const open = fresh();
    mkdirSync(open);
    chmodSync(open, 0o777);
    const inOpen = join(open, "nohead");
    const error = noheadErrorOf(() => ensurePrivateDirectory(inOpen, "the runtime directory"));
    expect(error.message).toBe(
      `the runtime directory ${inOpen} is in ${open}, which other users can write to (mode 0777): they could replace it`,
    );
    const foreign = fresh();
    mkdirSync(foreign, { mode: 0o755 });
    chownSync(foreign, OTHER_UID, OTHER_UID);
    const inForeign = join(foreign, "nohead");
    mkdirSync(inForeign, { mode: 0o700 });
    expect(noheadErrorOf(() => ensurePrivateDirectory(inForeign, "the state directory")).message).toBe(
      `the state directory ${inForeign} is in ${foreign}, which belongs to uid ${OTHER_UID}: that user could replace it`,
    );
    const sticky = fresh();
    mkdirSync(sticky);
    chmodSync(sticky, 0o1777);
    ensurePrivateDirectory(join(sticky, "nohead-0"), "the runtime directory");
    expect(modeOf(join(sticky, "nohead-0"))).toBe(0o700);
  });
});
