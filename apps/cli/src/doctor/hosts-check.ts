/**
 * The hosts files (docs/hosts.md): valid, each declared agent answering `/v1/health` within a
 * deadline, with a token file nohead can use, and each Slurm cluster's controller answering
 * `sinfo`. One check per host.
 */
import {
  hostsFileLocations,
  isSlurmHost,
  loadHosts,
  type ResolvedAgentHost,
  type ResolvedHost,
  type ResolvedSlurmHost,
  readTokenFile,
  runSlurmCommand,
} from "@nohead/hosts";
import { NoheadError } from "@nohead/schema";
import { findProject } from "@nohead/supervisor";
import { type DoctorCheck, fail, ok } from "./doctor-check.ts";

export async function hostsChecks(
  cwd: string,
  {
    timeoutMs = 3000,
    env = process.env,
  }: { timeoutMs?: number; env?: Record<string, string | undefined> } = {},
): Promise<DoctorCheck[]> {
  const { stateDir } = findProject(cwd, env);
  let hosts: Map<string, ResolvedHost>;
  try {
    hosts = loadHosts(stateDir, env);
  } catch (error) {
    if (!(error instanceof NoheadError)) throw error;
    return [fail("hosts", error.message, error.hint ?? "fix the file")];
  }
  if (hosts.size === 0) {
    return [
      ok("hosts", `no hosts declared (${hostsFileLocations(stateDir, env).join(", ")}): every VM runs here`),
    ];
  }
  return Promise.all(
    [...hosts.values()].map((host) =>
      isSlurmHost(host) ? slurmCheck(host, timeoutMs, env) : hostCheck(host, timeoutMs),
    ),
  );
}

async function slurmCheck(
  host: ResolvedSlurmHost,
  timeoutMs: number,
  env: Record<string, string | undefined>,
): Promise<DoctorCheck> {
  const name = `host ${host.name}`;
  try {
    const partitions = await runSlurmCommand(host.name, ["sinfo", "-h", "-o", "%P"], { timeoutMs, env });
    return ok(name, `Slurm answers; partitions: ${partitions.trim().split("\n").join(", ") || "none"}`);
  } catch (error) {
    if (!(error instanceof NoheadError)) throw error;
    return fail(name, error.message, error.hint ?? "docs/slurm.md");
  }
}

async function hostCheck(host: ResolvedAgentHost, timeoutMs: number): Promise<DoctorCheck> {
  const name = `host ${host.name}`;
  try {
    const response = await fetch(`${host.url.replace(/\/+$/, "")}/v1/health`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const { version } = (await response.json()) as { version?: string };
    readTokenFile(host.tokenFile);
    return ok(name, `agent ${version ?? "?"} at ${host.url}`);
  } catch (error) {
    if (error instanceof NoheadError)
      return fail(name, `${host.url} answers, but ${error.message}`, error.hint ?? "");
    const why =
      error instanceof Error && error.name === "TimeoutError"
        ? `no answer within ${timeoutMs} ms`
        : String(error);
    return fail(
      name,
      `the agent at ${host.url} is unreachable: ${why}`,
      `start it there (\`nohead agent serve\`), check the URL in ${host.declaredIn}, or remove the host`,
    );
  }
}
