/**
 * Contract 1: the manifest (`<result>/nohead-manifest.json`), written by Nix (nix/lib/fleet.nix)
 * and read here. This zod schema is the only TypeScript description of it; the JSON Schema in
 * docs/manifest.schema.json is generated from it and pinned by a test.
 */
import { z } from "zod";
import { USER_NAME_PATTERN } from "./user-name.ts";

/**
 * A machine name: a host name as NixOS's networking.hostName accepts it, a hostname label that
 * may hold `_` inside (what nix/lib/strings.nix `isHostnameLabel` accepts; no-headache's names).
 */
export const MachineName = z
  .string()
  .regex(
    /^[A-Za-z0-9]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$/,
    "must be a host name (letters, digits, dashes and underscores, starting and ending with a letter or digit)",
  )
  .describe(
    "Machine (instance) name: a host name (hostname label, `_` allowed inside), also MACHINE_NAME in the guest",
  );

/** A login name on the guest: {@link USER_NAME_PATTERN}. */
export const UserName = z
  .string()
  .regex(
    USER_NAME_PATTERN,
    "must be a login name: a lowercase letter or _, then up to 31 lowercase letters, digits, _ or -",
  )
  .describe("A login name in the guest, such as nixy");

export const Port = z.number().int().min(1).max(65535);

export const Forward = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]*$/)
      .describe('Forward name, unique per machine; "ssh" is the SSH forward'),
    protocol: z.enum(["tcp", "udp"]),
    guestPort: Port.describe("Port inside the guest"),
    hostPort: Port.nullable().describe("Port on the host; null = allocated at run time"),
    hostAddress: z.ipv4().describe("Host address the forward binds (127.0.0.1 unless the config asks)"),
  })
  .describe("A host-to-guest port forward");
export type Forward = z.infer<typeof Forward>;

export const Health = z
  .strictObject({
    ssh: z.boolean().describe("Ready requires an SSH banner on the ssh forward"),
    tcp: z.array(Port).describe("Guest ports (each with a forward) that must accept TCP connections"),
    command: z
      .string()
      .nullable()
      .describe("Shell command run in the guest via the guest agent; exit 0 = healthy"),
    initScript: z.boolean().describe("Ready requires the init script to have started"),
    intervalSeconds: z
      .number()
      .positive()
      .default(30)
      .describe("After ready, the checks run again every this many seconds"),
    timeoutSeconds: z.number().positive().default(10).describe("A run of the checks slower than this fails"),
    retries: z
      .number()
      .int()
      .min(1)
      .default(3)
      .describe("Failing runs in a row that make a ready machine unhealthy"),
    deadlines: z.strictObject({
      startedSeconds: z.number().positive().describe("Deadline for QEMU to run (QMP status running)"),
      bootedSeconds: z.number().positive().describe("Deadline for the guest agent to answer"),
      readySeconds: z.number().positive().describe("Deadline for every health check to pass"),
    }),
  })
  .describe("Declared readiness checks (the `health` option)");
export type Health = z.infer<typeof Health>;

export const PrivateNetwork = z
  .strictObject({
    address: z.ipv4().describe("Static address on the private network"),
    prefixLength: z.number().int().min(8).max(30),
    mac: z
      .string()
      .regex(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/)
      .describe("MAC of the private NIC; the guest matches its interface by it"),
  })
  .describe("The machine's place on the build's private network");

export const Secret = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/)
      .describe("Credential name in the guest"),
    hostPath: z.string().startsWith("/").describe("Host file read at run time (never in the Nix store)"),
  })
  .describe("A file handed to the guest as a systemd credential at run time");
export type Secret = z.infer<typeof Secret>;

/** What the VM's watcher does when QEMU exits without a stop (the `restart` option). */
export const RestartPolicy = z
  .enum(["no", "on-failure", "always"])
  .describe(
    'When QEMU exits without a stop: "no" leaves it, "on-failure" starts it again unless the guest powered off, "always" starts it again',
  );
export type RestartPolicy = z.infer<typeof RestartPolicy>;

/** One machine as `nohead plan` computes it (no build outputs). */
export const PlannedMachine = z.strictObject({
  name: MachineName,
  baseName: MachineName.describe("Machine type in configs.nix (MACHINE_BASE_NAME)"),
  index: z.number().int().min(1).describe("1-based instance index (MACHINE_INDEX)"),
  username: UserName.describe("Login user"),
  forwards: z.array(Forward),
  dependsOn: z.array(MachineName).describe("Machines that must be ready before this one starts"),
  health: Health,
  network: PrivateNetwork.nullable(),
  secrets: z.array(Secret),
  host: z.string().nullable().describe("Host (from the hosts file) to run on; null = local"),
  initScript: z.boolean().describe("Whether init.script is set"),
  diskImage: z.boolean().describe("Whether the type asks for a disk image"),
  restart: RestartPolicy.default("no"),
  resources: z
    .strictObject({ cores: z.number().int().positive(), memoryMiB: z.number().int().positive() })
    .optional()
    .describe("What the runner gives QEMU (-smp, -m): a Slurm host sizes its jobs from it"),
});
export type PlannedMachine = z.infer<typeof PlannedMachine>;

/** One machine in a built manifest: the plan plus what the build produced. */
export const ManifestMachine = PlannedMachine.extend({
  runner: z.string().startsWith("/").describe("Absolute path of the run script (Contract 2)"),
  system: z.string().startsWith("/").describe("Store path of the system that made it (stale-disk detection)"),
});
export type ManifestMachine = z.infer<typeof ManifestMachine>;

export const Image = z.strictObject({
  name: z.string(),
  format: z.string(),
  path: z.string().startsWith("/"),
});

const NetworkInfo = z.strictObject({ subnet: z.string().describe("CIDR of the private network") });

export const Plan = z.strictObject({
  schemaVersion: z.literal(1),
  network: NetworkInfo,
  machines: z.array(PlannedMachine),
});
export type Plan = z.infer<typeof Plan>;

export const Manifest = z
  .strictObject({
    schemaVersion: z.literal(1),
    network: NetworkInfo,
    machines: z.array(ManifestMachine),
    images: z.array(Image),
  })
  .describe("nohead-manifest.json: what a build produced");
export type Manifest = z.infer<typeof Manifest>;

/** The manifest's file name inside a build result. */
export const MANIFEST_FILE = "nohead-manifest.json";
