/**
 * The agent's wire contract: one strict zod schema per request body, path parameter and query
 * (the schema is the type), and the shape of every error body. Unknown fields are rejected so a
 * typo in a client never silently does something else.
 */
import { MachineName, ManifestMachine, RestartPolicy } from "@nohead/schema";
import { z } from "zod";
import { qemuArgsProblems } from "./allowed-qemu-args.ts";

/** `:name` in `/v1/vms/:name/…`: a machine name (hostname label), never a path. */
export const VmNameParam = z.strictObject({ name: MachineName });

/** Longest argument the agent passes on (QEMU or guest), in characters. */
const MAX_ARG = 4096;

/** Most keys a start request may add to its guests' authorized keys. */
export const MAX_AUTHORIZED_KEYS = 16;

/**
 * One OpenSSH public key line, `type base64 [comment]`, as in an `authorized_keys` file but
 * without options (a client adds keys; it does not restrict or command them). Printable ASCII,
 * so it can never add a second line.
 */
export const OpenSshPublicKey = z
  .string()
  .max(8192)
  .regex(
    /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,3}( [ -~]*)?$/,
    "must be one OpenSSH public key line (such as the contents of id_ed25519.pub): type, base64 key, optional comment",
  );

/** A display variable's value: one printable line (it goes into QEMU's environment). */
const DisplayValue = z
  .string()
  .max(MAX_ARG)
  .regex(/^[ -~]+$/, "must be one line of printable ASCII");

/** `POST /v1/vms/start` before the host-specific checks of {@link startRequestSchema}. */
export const StartRequest = z.strictObject({
  machines: z.array(ManifestMachine).min(1).max(64).describe("The machines to start (manifest entries)"),
  display: z
    .enum(["none", "window"])
    .optional()
    .describe(
      "`none` (headless, default); `window` only where the host shows windows (the local supervisor)",
    ),
  displayEnv: z
    .strictObject({
      DISPLAY: DisplayValue.optional(),
      WAYLAND_DISPLAY: DisplayValue.optional(),
      XAUTHORITY: DisplayValue.optional(),
    })
    .optional()
    .describe(
      "With `display: window`: the client's display (its DISPLAY, WAYLAND_DISPLAY, XAUTHORITY); none given: no display (QEMU falls back to VNC)",
    ),
  fresh: z.boolean().optional().describe("Recreate the machines' disks"),
  restart: RestartPolicy.optional().describe("This restart policy instead of each machine's"),
  keepFailed: z
    .boolean()
    .optional()
    .describe("Leave a machine that fails to become ready running, to debug it (default false)"),
  recreate: z
    .boolean()
    .optional()
    .describe(
      "Stop and start again running machines whose system is not the one sent (else: reported outdated)",
    ),
  qemuArgs: z
    .array(z.string().max(MAX_ARG))
    .max(64)
    .optional()
    .describe(
      "Extra QEMU arguments; refused unless the agent runs with --allow-qemu-args, and then only the harmless ones",
    ),
  authorizedKeys: z
    .array(OpenSshPublicKey)
    .max(MAX_AUTHORIZED_KEYS)
    .optional()
    .describe("The client's SSH public keys: the guests authorize them besides the agent's own key"),
  network: z
    .strictObject({ subnet: z.string().max(64) })
    .optional()
    .describe("The build's private network (informational, kept in the saved manifest)"),
});
export type StartRequest = z.infer<typeof StartRequest>;

export interface StartChecks {
  /** Where secret files must live on the agent host. */
  /** null: anywhere (the local supervisor). */
  secretsDir: string | null;
  /** false: none; true: the harmless ones (allowed-qemu-args.ts); "any": anything. */
  allowQemuArgs: boolean | "any";
  /** Accept `display: "window"`. */
  allowWindows: boolean;
  /** The host addresses forwards may bind (the agent's `--allow-forward-address`); null: any. */
  forwardAddresses: string[] | null;
  /** Why each path is not an acceptable store path (null when it is), in order. */
  storePathProblems: (paths: string[]) => Promise<(string | null)[]>;
}

/**
 * The start request schema of one agent: {@link StartRequest} plus the checks that depend on the
 * agent's configuration, so every problem of a request is listed in one 400 answer. Store paths
 * are checked last, in one batch (it asks Nix).
 */
export function startRequestSchema(checks: StartChecks) {
  return StartRequest.superRefine(async (body, ctx) => {
    if (body.qemuArgs && body.qemuArgs.length > 0) {
      if (!checks.allowQemuArgs) {
        ctx.addIssue({
          code: "custom",
          path: ["qemuArgs"],
          message:
            "extra QEMU arguments are refused by this agent (start it with --allow-qemu-args to accept the harmless ones)",
        });
      } else if (checks.allowQemuArgs !== "any") {
        for (const { index, message } of qemuArgsProblems(body.qemuArgs)) {
          ctx.addIssue({ code: "custom", path: ["qemuArgs", index], message });
        }
      }
    }
    if (body.displayEnv && !checks.allowWindows) {
      ctx.addIssue({
        code: "custom",
        path: ["displayEnv"],
        message: "this host runs machines headless; it takes no display",
      });
    }
    if (body.display === "window" && !checks.allowWindows) {
      ctx.addIssue({
        code: "custom",
        path: ["display"],
        message: "this host runs machines headless; it cannot show windows",
      });
    }
    const seen = new Set<string>();
    body.machines.forEach((machine, i) => {
      if (seen.has(machine.name)) {
        ctx.addIssue({
          code: "custom",
          path: ["machines", i, "name"],
          message: `"${machine.name}" is given twice`,
        });
      }
      seen.add(machine.name);
      machine.forwards.forEach((forward, j) => {
        if (checks.forwardAddresses !== null && !checks.forwardAddresses.includes(forward.hostAddress)) {
          ctx.addIssue({
            code: "custom",
            path: ["machines", i, "forwards", j, "hostAddress"],
            message: `this agent binds forwarded ports to ${checks.forwardAddresses.join(", ")} only, got ${forward.hostAddress} (agent option --allow-forward-address)`,
          });
        }
      });
      machine.secrets.forEach((secret, j) => {
        if (checks.secretsDir !== null && !isInside(secret.hostPath, checks.secretsDir)) {
          ctx.addIssue({
            code: "custom",
            path: ["machines", i, "secrets", j, "hostPath"],
            message: `secret files must be under the agent's secrets directory ${checks.secretsDir}`,
          });
        }
      });
    });
    const keys = ["runner", "system"] as const;
    const problems = await checks.storePathProblems(body.machines.flatMap((m) => keys.map((k) => m[k])));
    problems.forEach((problem, n) => {
      const i = Math.floor(n / keys.length);
      if (problem)
        ctx.addIssue({
          code: "custom",
          path: ["machines", i, keys[n % keys.length] ?? ""],
          message: problem,
        });
    });
  });
}

/** Whether absolute `path` is strictly inside `dir`, with no `.`/`..` segments or doubled slashes. */
export function isInside(path: string, dir: string): boolean {
  if (!path.startsWith(`${dir}/`)) return false;
  const rest = path.slice(dir.length + 1).split("/");
  return rest.every((segment) => segment !== "" && segment !== "." && segment !== "..");
}

/** `POST /v1/vms/:name/exec`. */
export const ExecRequest = z.strictObject({
  argv: z.array(z.string().max(MAX_ARG)).min(1).max(256).describe("Program and arguments (no shell)"),
  timeoutSeconds: z.number().int().min(1).max(3600).optional().describe("How long it may run (default 60)"),
});
export type ExecRequest = z.infer<typeof ExecRequest>;

const booleanString = z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1");

/** `GET /v1/vms/:name/logs?follow=true&lines=N`. */
export const LogsQuery = z.strictObject({
  follow: booleanString.optional().describe("Keep streaming new lines"),
  lines: z.coerce.number().int().min(0).max(10_000).optional().describe("How many last lines first (100)"),
});
export type LogsQuery = z.infer<typeof LogsQuery>;

/** `POST /v1/vms/:name/stop`: an optional body. */
export const StopRequest = z.strictObject({
  timeoutSeconds: z
    .number()
    .int()
    .min(1)
    .max(600)
    .optional()
    .describe("How long the guest gets to power down"),
});

/**
 * A flake reference with an attribute (`ref#attr`), printable ASCII only. It must not start with
 * `-`: it is one argv element of `nix build`, but Nix would still read it as an option.
 */
export const FlakeInstallable = z
  .string()
  .max(1024)
  .regex(
    /^[A-Za-z0-9./~][!"$-~]*#[A-Za-z0-9_][A-Za-z0-9_.'-]*$/,
    "must be a flake reference with an attribute, such as github:me/fleet#default",
  );

/** `POST /v1/builds`. */
export const BuildRequest = z.strictObject({ flake: FlakeInstallable });
export type BuildRequest = z.infer<typeof BuildRequest>;

/** One problem with a request, as listed in a 400 answer. */
export const RequestIssue = z.strictObject({ path: z.string(), message: z.string() });

/** The body of every error answer. */
export const ErrorBody = z.strictObject({
  error: z.strictObject({
    kind: z.string().describe('"usage", "not-found", "conflict", "unauthorized", "too-large", …'),
    message: z.string(),
    hint: z.string().nullable(),
    machine: z.string().nullable().optional(),
    issues: z.array(RequestIssue).optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;
