import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { noheadErrorOf } from "@nohead/schema/testing";
import { projectAt } from "./project.ts";
import { authorizedKeysFile, ensureSshIdentity } from "./ssh-identity.ts";

function identity() {
  const dir = mkdtempSync(join(tmpdir(), "nohead-ssh-identity-"));
  const id = ensureSshIdentity(projectAt(dir, dir));
  return { dir, id, own: readFileSync(id.publicKey, "utf8").trim() };
}

const CLIENT = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGNsaWVudCBrZXkgZm9yIHRlc3RzIG9ubHkhISEhIQ me@laptop";

describe("the guests' authorized keys", () => {
  test("the project's key file itself when nothing is added (or only the project's key again)", () => {
    const { dir, id, own } = identity();
    const vmDir = join(dir, "vms", "web");
    expect(authorizedKeysFile(id, vmDir, [])).toBe(id.publicKey);
    expect(authorizedKeysFile(id, vmDir, [`${own.split(" ").slice(0, 2).join(" ")} other comment`])).toBe(
      id.publicKey,
    );
    expect(existsSync(join(vmDir, "authorized_keys"))).toBe(false);
  });

  test("with clients' keys: a 0600 file in the VM's dir, the project's key first, each key once", () => {
    const { dir, id, own } = identity();
    const vmDir = join(dir, "vms", "web");
    const file = authorizedKeysFile(id, vmDir, [CLIENT, ` ${CLIENT} `, own]);
    expect(file).toBe(join(vmDir, "authorized_keys"));
    expect(readFileSync(file, "utf8")).toBe(`${own}\n${CLIENT}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  test("a key holding a line break is refused", () => {
    const { dir, id } = identity();
    const error = noheadErrorOf(() =>
      authorizedKeysFile(id, join(dir, "vms", "web"), [`${CLIENT}\n${CLIENT}`]),
    );
    expect(error.kind).toBe("usage");
    expect(error.message).toBe("an authorized SSH key holds a line break; give one key per entry");
  });
});
