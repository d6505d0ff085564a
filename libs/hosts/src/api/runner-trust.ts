/**
 * The operator's stricter rule for what a client may start (`--only-trusted-runners`): every path
 * in a runner's (and system's) closure must have been built by this agent (it is in the closure
 * of one of its build results) or carry a Nix signature from a key the operator trusts
 * (`--trusted-public-key`). Without it, any valid store path may run — and any local user of a
 * multi-user Nix can add store paths.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { hasTrustedSignature, type TrustedKey } from "./nix-signature.ts";
import { closureInfo, closureOf } from "./nix-store-query.ts";

export class RunnerTrust {
  /**
   * @example
   * const trust = new RunnerTrust([parseTrustedKey("ci-1:…")], "/var/lib/nohead-agent/builds");
   * await trust.problems(["/nix/store/…-run-web-vm"]); // Map { path => why } for the untrusted ones
   */
  constructor(
    readonly keys: TrustedKey[],
    /** The agent's build results (`<stateDir>/builds/*` links): their closures are trusted. */
    readonly buildsDir: string,
  ) {}

  /** Why each untrusted store object among `storeObjects` is not trusted (absent when it is). */
  async problems(storeObjects: string[]): Promise<Map<string, string>> {
    const built = new Set(await closureOf(this.buildResults()));
    const problems = new Map<string, string>();
    for (const object of new Set(storeObjects)) {
      const untrusted = (await closureInfo([object])).filter(
        (info) => !built.has(info.path) && !hasTrustedSignature(info, this.keys),
      );
      if (untrusted.length > 0) {
        problems.set(
          object,
          `${object} is not trusted by this agent: ${untrusted.length} path(s) of its closure were neither built here nor signed by a trusted key (${untrusted[0]?.path}${untrusted.length > 1 ? ", …" : ""})`,
        );
      }
    }
    return problems;
  }

  private buildResults(): string[] {
    if (!existsSync(this.buildsDir)) return [];
    return readdirSync(this.buildsDir)
      .map((entry) => join(this.buildsDir, entry))
      .filter((link) => existsSync(link));
  }
}
