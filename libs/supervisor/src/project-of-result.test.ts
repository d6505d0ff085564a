/** A project follows its build result: the directory holding the result, whatever the working directory. */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findProjectOfResult } from "./project.ts";

const env = { XDG_RUNTIME_DIR: "/run/user/1" };

describe("findProjectOfResult", () => {
  const base = mkdtempSync(join(tmpdir(), "nohead-project-"));
  const project = join(base, "web");
  const elsewhere = join(base, "elsewhere");
  mkdirSync(join(project, ".nohead"), { recursive: true });
  mkdirSync(join(project, "sub"), { recursive: true });
  mkdirSync(elsewhere);
  afterAll(() => rmSync(base, { recursive: true, force: true }));
  symlinkSync("/nix/store/00000000000000000000000000000000-nohead-fleet", join(project, "result"));

  test("a result link belongs to the project holding it, from any directory", () => {
    for (const cwd of [elsewhere, project, join(project, "sub"), "/"]) {
      const found = findProjectOfResult(cwd, join(project, "result"), env);
      expect(found.root).toBe(project);
      expect(found.stateDir).toBe(join(project, ".nohead"));
    }
    expect(findProjectOfResult(elsewhere, "../web/result", env).root).toBe(project);
  });

  test("the same result gives the same project id (sockets, network) from everywhere", () => {
    const ids = [elsewhere, join(project, "sub")].map(
      (cwd) => findProjectOfResult(cwd, join(project, "result"), env).id,
    );
    expect(new Set(ids).size).toBe(1);
  });

  test("a result in a subdirectory of a project belongs to the nearest ancestor with .nohead/", () => {
    expect(findProjectOfResult(elsewhere, join(project, "sub", "result"), env).root).toBe(project);
  });

  test("a result where no ancestor has .nohead/ makes the directory holding it the project", () => {
    expect(findProjectOfResult(project, join(elsewhere, "out"), env).root).toBe(elsewhere);
  });

  test("the default ./result keeps the working directory's project", () => {
    expect(findProjectOfResult(join(project, "sub"), undefined, env).root).toBe(project);
  });

  test("a bare store path belongs to the working directory's project", () => {
    const store = "/nix/store/00000000000000000000000000000000-nohead-fleet";
    expect(findProjectOfResult(join(project, "sub"), store, env).root).toBe(project);
    expect(findProjectOfResult(elsewhere, store, env).root).toBe(elsewhere);
    expect(findProjectOfResult(elsewhere, "/gnu/x-fleet", { ...env, NIX_STORE_DIR: "/gnu" }).root).toBe(
      elsewhere,
    );
  });

  test("NOHEAD_STATE_DIR still wins", () => {
    const found = findProjectOfResult(elsewhere, join(project, "result"), {
      ...env,
      NOHEAD_STATE_DIR: "/srv/s",
    });
    expect(found.stateDir).toBe("/srv/s");
  });
});
