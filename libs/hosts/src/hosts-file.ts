/**
 * The hosts file: which nohead agents exist and how to reach them. Read from
 * `$XDG_CONFIG_HOME/nohead/hosts.json` (yours) and `<project>/.nohead/hosts.json` (the project's,
 * which wins per host name). docs/hosts.md documents it.
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { configError, MachineName } from "@nohead/schema";
import { z } from "zod";

/**
 * `user@host` (host name or address) for SSH. Neither part may start with `-`: Nix puts the
 * target first in the ssh argv it builds for `nix copy` (no `--` can go before it), and the jump's
 * ProxyCommand passes it on.
 */
const SshTarget = z
  .string()
  .regex(/^[a-z_][a-z0-9_.-]*@[A-Za-z0-9][A-Za-z0-9.-]*$/, "must be user@host, such as nix@lab.example.org");

/**
 * OpenSSH client options for `sshTarget`, one argv element each. Printable characters only, no
 * backslash: they are shell-quoted into a ProxyCommand, whose quotes OpenSSH checks itself, reading
 * a backslash before a quote as an escape (`invalid quotes`).
 */
export const SshOptions = z
  .array(
    z
      .string()
      .min(1)
      .max(1024)
      .regex(/^[ -[\]-~]+$/, "must be printable ASCII without a backslash"),
  )
  .max(32);

/** A host running `nohead agent serve` you started yourself, reached at `url` with a token. */
export const AgentHostEntry = z
  .strictObject({
    url: z
      .url({ protocol: /^https?$/ })
      .describe("The agent's base URL, such as https://lab.example.org:7420"),
    tokenFile: z
      .string()
      .min(1)
      .describe("File holding the agent's token (relative to the hosts file; ~ is your home)"),
    closures: z
      .enum(["nix-copy", "agent-builds", "shared"])
      .describe(
        "nix-copy: copy built closures over SSH; agent-builds: the agent builds the flake itself; shared: the agent sees this computer's /nix/store",
      ),
    sshTarget: SshTarget.optional().describe(
      "user@host of the host's SSH: `nix copy --to ssh-ng://…` (nix-copy hosts) and the jump of `nohead ssh`",
    ),
    insecure: z
      .boolean()
      .optional()
      .describe(
        "Allow an http:// URL to a host other than loopback: the token then crosses the network in clear",
      ),
    sshOptions: SshOptions.optional().describe(
      'OpenSSH client options for sshTarget, one argv element each, such as ["-p", "2222", "-i", "~/.ssh/lab"]',
    ),
  })
  .superRefine((entry, ctx) => {
    const url = new URL(entry.url);
    if (url.protocol === "http:" && !isLoopbackHost(url.hostname) && entry.insecure !== true) {
      ctx.addIssue({
        code: "custom",
        path: ["url"],
        message: `http:// sends the token in clear to ${url.hostname}: use https://, reach the agent through \`ssh -L\` on loopback, or set "insecure": true on a network you trust`,
      });
    }
    if (entry.sshOptions && !entry.sshTarget) {
      ctx.addIssue({
        code: "custom",
        path: ["sshOptions"],
        message: "sshOptions needs sshTarget (user@host)",
      });
    }
    if (entry.closures === "nix-copy" && !entry.sshTarget) {
      ctx.addIssue({
        code: "custom",
        path: ["sshTarget"],
        message: 'closures "nix-copy" needs sshTarget (user@host)',
      });
    }
  });
export type AgentHostEntry = z.infer<typeof AgentHostEntry>;

/** A Slurm partition, account or similar name: no spaces, no leading `-`. */
const SlurmName = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, "must be a Slurm name (letters, digits, _ . -)");

/** How the pilot jobs of a Slurm host are asked for (docs/slurm.md). */
export const SlurmOptions = z.strictObject({
  partition: SlurmName.nullable().default(null).describe("sbatch --partition; null: the cluster's default"),
  account: SlurmName.nullable().default(null).describe("sbatch --account; null: your default account"),
  timeLimit: z
    .string()
    .regex(/^\d+(-\d+)?(:\d+){0,2}$/, "must be a Slurm time such as 8:00:00 or 1-00:00:00")
    .default("8:00:00")
    .describe("sbatch --time of each pilot job: its VMs stop when it runs out"),
  extraArgs: z
    .array(
      z
        .string()
        .max(1024)
        .regex(/^--[a-z][a-z-]*(=[ -~]*)?$/, "must be one sbatch option such as --qos=long (with =)"),
    )
    .max(32)
    .default([])
    .describe('More sbatch options, one `--name=value` each, such as ["--qos=long"]'),
  maxCoresPerJob: z
    .number()
    .int()
    .positive()
    .default(16)
    .describe("Most VM cores one pilot job asks for; more machines take more jobs"),
  readyTimeoutMinutes: z
    .number()
    .positive()
    .max(10_080)
    .default(10)
    .describe(
      "How long a pilot job may take to report its agent, pending in the queue included; then it is cancelled",
    ),
  agentAddress: z
    .enum(["node", "loopback"])
    .default("node")
    .describe(
      "node: the agent listens on the node's network (the CLI runs elsewhere); loopback: on 127.0.0.1 (a one-machine cluster)",
    ),
});
export type SlurmOptions = z.infer<typeof SlurmOptions>;

/**
 * A Slurm cluster: nohead submits pilot jobs running `nohead agent serve` and starts the
 * machines placed there on them (docs/slurm.md).
 */
export const SlurmHostEntry = z
  .strictObject({
    slurm: SlurmOptions,
    closures: z
      .enum(["shared", "copy"])
      .describe(
        "shared: the nodes see this computer's /nix/store; copy: nix copy to the job's node over SSH",
      ),
    sshUser: z
      .string()
      .regex(/^[a-z_][a-z0-9_.-]*$/, "must be a user name")
      .optional()
      .describe('The user of `nix copy` to the nodes (closures "copy")'),
    sshOptions: SshOptions.optional().describe("OpenSSH client options for the nodes"),
  })
  .superRefine((entry, ctx) => {
    if (entry.closures === "copy" && !entry.sshUser) {
      ctx.addIssue({ code: "custom", path: ["sshUser"], message: 'closures "copy" needs sshUser' });
    }
  });
export type SlurmHostEntry = z.infer<typeof SlurmHostEntry>;

/**
 * One declared host: a Slurm cluster when it has a `slurm` key, else an agent. Dispatched on that
 * key (not a union) so a mistake is reported against the one schema meant.
 */
export const HostEntry = z.unknown().transform((value, ctx): AgentHostEntry | SlurmHostEntry => {
  const slurm = typeof value === "object" && value !== null && "slurm" in value;
  const parsed = (slurm ? SlurmHostEntry : AgentHostEntry).safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues)
    ctx.addIssue({ ...issue, code: "custom", message: issue.message, continue: true });
  return z.NEVER;
});
export type HostEntry = AgentHostEntry | SlurmHostEntry;

/** Whether a URL's host name is this computer's loopback (127.0.0.0/8, ::1, localhost). */
function isLoopbackHost(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** Host names are machine-name-like; `local` means this computer and cannot be declared. */
export const HostName = MachineName.refine(
  (n) => n !== "local",
  '"local" is this computer; pick another name',
);

export const HostsFile = z.strictObject({
  hosts: z.record(z.string(), HostEntry).superRefine((hosts, ctx) => {
    // Checked here rather than as the record's key schema, so the message names the bad key.
    for (const name of Object.keys(hosts)) {
      const parsed = HostName.safeParse(name);
      if (!parsed.success) {
        ctx.addIssue({
          code: "custom",
          path: [name],
          message: `host "${name}": ${parsed.error.issues[0]?.message}`,
        });
      }
    }
  }),
});
export type HostsFile = z.infer<typeof HostsFile>;

/** A declared agent with its token file resolved and the file that declared it. */
export type ResolvedAgentHost = AgentHostEntry & { name: string; declaredIn: string };
/** A declared Slurm cluster and the file that declared it. */
export type ResolvedSlurmHost = SlurmHostEntry & { name: string; declaredIn: string };
export type ResolvedHost = ResolvedAgentHost | ResolvedSlurmHost;

/** Whether a declared host is a Slurm cluster. */
export function isSlurmHost(host: ResolvedHost): host is ResolvedSlurmHost {
  return "slurm" in host;
}

/** The hosts file locations, lowest priority first. */
export function hostsFileLocations(
  projectStateDir: string,
  env: Record<string, string | undefined> = process.env,
): string[] {
  const config = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config");
  return [join(config, "nohead", "hosts.json"), join(projectStateDir, "hosts.json")];
}

/** Parses one hosts file (throws a config error listing every problem). */
export function parseHostsFile(file: string): HostsFile {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw configError(`${file} is not valid JSON`, "docs/hosts.md shows the format", error);
  }
  const parsed = HostsFile.safeParse(data);
  if (!parsed.success) {
    throw configError(
      `${file} does not match the hosts file format:\n${z.prettifyError(parsed.error)}`,
      "docs/hosts.md shows the format",
    );
  }
  return parsed.data;
}

/**
 * Every declared host: the user's file, then the project's (same name: the project's wins).
 *
 * @example
 * const hosts = loadHosts(fleet.project.stateDir);
 * hosts.get("lab") // => { name: "lab", url: "https://lab:7420", tokenFile: "/home/me/.config/nohead/lab.token", … }
 */
export function loadHosts(
  projectStateDir: string,
  env: Record<string, string | undefined> = process.env,
): Map<string, ResolvedHost> {
  const hosts = new Map<string, ResolvedHost>();
  for (const file of hostsFileLocations(projectStateDir, env)) {
    if (!existsSync(file)) continue;
    for (const [name, entry] of Object.entries(parseHostsFile(file).hosts)) {
      hosts.set(
        name,
        "slurm" in entry
          ? { ...entry, name, declaredIn: file }
          : { ...entry, name, tokenFile: resolveTokenPath(entry.tokenFile, file, env), declaredIn: file },
      );
    }
  }
  return hosts;
}

function resolveTokenPath(path: string, hostsFile: string, env: Record<string, string | undefined>): string {
  if (path === "~" || path.startsWith("~/")) return join(env.HOME || homedir(), path.slice(1));
  return isAbsolute(path) ? path : resolve(dirname(hostsFile), path);
}
