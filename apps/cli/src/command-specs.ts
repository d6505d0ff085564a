/**
 * Every command's grammar, declared once: the parser (program.ts builds commander from it), the
 * split of pass-through arguments (argv.ts takes nohead's own flags back from them) and the
 * overview printed by `nohead help` (help-text.ts) all read these tables. Plain data, no imports,
 * so the help fast path loads nothing else.
 */

/** One option of a command. `flags` uses commander's syntax: `-r, --result <link>`. */
export interface OptionSpec {
  flags: string;
  description: string;
  /** How the value is checked (options with a `<value>` only; default: any string). */
  parse?: "positive-int";
  choices?: readonly string[];
  default?: string | number;
  /** May be given several times (the values are collected in a list). */
  repeatable?: boolean;
  /** Shown in the overview's usage column. */
  brief?: boolean;
  /** Must be given. */
  required?: boolean;
}

/** One positional argument: `<vm>` is required, `[vm...]` optional, `...` variadic. */
export interface ArgumentSpec {
  syntax: string;
  description: string;
  default?: string;
}

export type Group = "Project" | "Machines" | "Remote hosts";

export interface CommandSpec {
  name: string;
  group: Group;
  /** One line in the overview. */
  summary: string;
  /** The first line of `nohead <command> --help`. */
  description: string;
  arguments: ArgumentSpec[];
  options: OptionSpec[];
  /**
   * The last (variadic) argument is passed through (to QEMU, ssh, the guest): nohead's own flags
   * that lead it are taken back, up to the first other argument; everything after `--` passes.
   */
  passThrough?: boolean;
  subcommands?: CommandSpec[];
  /** Not in the overview or `--help` (started by nohead itself). */
  hidden?: boolean;
}

const RESULT: OptionSpec = {
  flags: "-r, --result <link>",
  description: "build result to use or create (default: ./result); the project is the one that holds it",
};

const JSON_OUTPUT = (what: string): OptionSpec => ({ flags: "--json", description: `print ${what} as JSON` });

const CONFIG_OPTIONS: OptionSpec[] = [
  {
    flags: "-c, --config <flake#attr>",
    description: "a flake attribute built with nohead's buildConfig (repeatable)",
    repeatable: true,
    brief: true,
  },
  {
    flags: "-f, --file <configs.nix>",
    description: "a configs.nix used directly, no flake or git needed (repeatable)",
    repeatable: true,
    brief: true,
  },
  {
    flags: "--custom-args <file.nix>",
    description: "an attrset file passed as customArgs to -f configs (default: custom-args.nix beside it)",
  },
];

const RUN_OPTIONS: OptionSpec[] = [
  RESULT,
  { flags: "-w, --window", description: "show each VM in a window", brief: true },
  { flags: "-n, --noui", description: "run headless (default when there is no display)", brief: true },
  { flags: "--fresh", description: "recreate the VM's disk (it is kept across runs otherwise)" },
  {
    flags: "--recreate",
    description: "stop and start again running VMs whose system changed since they started",
  },
  {
    flags: "--keep-failed",
    description: "leave a VM that fails to become ready running, to debug it (this computer's VMs)",
  },
  {
    flags: "--host <name>",
    description: 'run the machines on this host from the hosts file ("local": this computer)',
  },
  {
    flags: "--attach",
    description: "stay in the foreground: stream consoles, restart by policy, stop all on Ctrl-C",
    brief: true,
  },
  {
    flags: "--restart <policy>",
    description: "with --attach: this restart policy instead of each machine's",
    choices: ["no", "on-failure", "always"],
  },
  JSON_OUTPUT("the start results"),
];

const STOP_OPTIONS: OptionSpec[] = [
  RESULT,
  {
    flags: "--timeout <seconds>",
    description: "how long the guest gets to power down",
    parse: "positive-int",
  },
  JSON_OUTPUT("the stop results"),
];

const VM: ArgumentSpec = { syntax: "<vm>", description: "machine name" };

/** The commands in the order the overview lists them. */
export const COMMANDS: CommandSpec[] = [
  {
    name: "init",
    group: "Project",
    summary: "create a new project (flake.nix, configs.nix, examples); never overwrites",
    description: "create a new nohead project (flake.nix, configs.nix, .gitignore, secrets/, examples/)",
    arguments: [
      { syntax: "[dir]", description: "directory to create the project in", default: "nohead-project" },
    ],
    options: [],
  },
  {
    name: "plan",
    group: "Project",
    summary: "list machines, users, ports and secrets without building (no nixpkgs, offline)",
    description:
      "list machines, users, ports and dependencies without building (reads ./configs.nix: no flake inputs, no nixpkgs)",
    arguments: [],
    options: [
      ...CONFIG_OPTIONS,
      { ...JSON_OUTPUT('{ "machines": [...] }'), brief: true },
      { flags: "--show-trace", description: "pass --show-trace to Nix for evaluation errors" },
    ],
  },
  {
    name: "build",
    group: "Project",
    summary: "build the VMs (parallel, live progress)",
    description: "build the VMs of one or more configurations, in parallel, with live progress",
    arguments: [],
    options: [
      ...CONFIG_OPTIONS,
      RESULT,
      {
        flags: "--images",
        description: "also build disk images (types with diskImage; -f configs only)",
        brief: true,
      },
      { flags: "--show-trace", description: "pass --show-trace to Nix for evaluation errors" },
      {
        flags: "--keep-going",
        description: "build every VM that can be built even when some fail, and link those",
        brief: true,
      },
      {
        flags: "-j, --jobs <n>",
        description: "Nix max-jobs (parallel derivation builds)",
        parse: "positive-int",
      },
      JSON_OUTPUT("the build results"),
      {
        flags: "--nixpkgs <path|flake-ref>",
        description: "nixpkgs for -f configs (default: $NOHEAD_NIXPKGS, else the nixpkgs nohead pins)",
      },
    ],
  },
  {
    name: "doctor",
    group: "Project",
    summary: "check this host (KVM, QEMU, Nix, nixpkgs, sockets, …) and say how to fix it",
    description:
      "check this host for what nohead needs (KVM, QEMU, Nix, nixpkgs, sockets, ssh, disk, hosts), with fixes",
    arguments: [],
    options: [{ ...JSON_OUTPUT('{ "ok": …, "checks": [{ name, status, detail, fix }] }'), brief: true }],
  },
  {
    name: "path",
    group: "Project",
    summary: "print where nohead's own files are",
    description: "print where nohead's own files (nix/, examples/) are",
    arguments: [],
    options: [],
  },
  {
    name: "run",
    group: "Machines",
    summary: "start a VM (and its dependencies); returns when it is ready",
    description: "start a VM (and the machines it depends on) and return when it is ready",
    arguments: [VM, { syntax: "[qemu-args...]", description: "extra QEMU arguments (after --)" }],
    options: RUN_OPTIONS,
    passThrough: true,
  },
  {
    name: "runall",
    group: "Machines",
    summary: "start every machine, dependencies first; returns when all are ready",
    description: "start every machine of the build, dependencies first, and return when all are ready",
    arguments: [{ syntax: "[qemu-args...]", description: "extra QEMU arguments for every VM (after --)" }],
    options: RUN_OPTIONS,
    passThrough: true,
  },
  {
    name: "list",
    group: "Machines",
    summary: "running VMs of this project, one per line",
    description: "running VMs of this project, one name per line",
    arguments: [],
    options: [RESULT],
  },
  {
    name: "status",
    group: "Machines",
    summary: "state, readiness, health, pid, uptime, ports, init script",
    description: "state, readiness, health, pid, uptime, ports and init script of each VM",
    arguments: [{ syntax: "[vm...]", description: "machines to show (default: all)" }],
    options: [RESULT, { ...JSON_OUTPUT("the statuses"), brief: true }],
  },
  {
    name: "events",
    group: "Machines",
    summary: "stream start/ready/healthy/crash/stop events until Ctrl-C",
    description:
      "stream what happens to this project's VMs (start, ready, healthy, crash, stop, …) until Ctrl-C",
    arguments: [],
    options: [RESULT, { flags: "--json", description: "one JSON object per event and line", brief: true }],
  },
  {
    name: "supervise",
    group: "Machines",
    summary: "the project's supervisor (started by other commands)",
    description: "the project's supervisor (started by other commands)",
    arguments: [],
    options: [{ flags: "--state-dir <dir>", description: "the project's .nohead directory", required: true }],
    hidden: true,
  },
  {
    name: "stop",
    group: "Machines",
    summary: "graceful stop (ACPI, then quit, SIGTERM, SIGKILL), in parallel",
    description: "stop VMs gracefully (ACPI power-down, then quit, SIGTERM, SIGKILL; each bounded)",
    arguments: [{ syntax: "<vm...>", description: "machine names" }],
    options: STOP_OPTIONS,
  },
  {
    name: "stopall",
    group: "Machines",
    summary: "stop every running VM of this project, in parallel",
    description: "stop every running VM of this project, in parallel",
    arguments: [],
    options: STOP_OPTIONS,
  },
  {
    name: "restart",
    group: "Machines",
    summary: "stop, then start and wait until ready",
    description: "stop a VM gracefully, then start it and wait until ready",
    arguments: [VM],
    options: RUN_OPTIONS,
  },
  {
    name: "destroy",
    group: "Machines",
    summary: "stop and delete disks and state",
    description: "stop VMs, then delete their disks and state",
    arguments: [{ syntax: "[vm...]", description: "machine names" }],
    options: [
      RESULT,
      { flags: "--all", description: "every machine of this project", brief: true },
      { flags: "-y, --yes", description: "do not ask for confirmation", brief: true },
      JSON_OUTPUT("the results"),
    ],
  },
  {
    name: "ssh",
    group: "Machines",
    summary: "ssh in as the VM's user with the project's key",
    description:
      "ssh into a VM as its user with the project's key (waits for sshd; on a host, through its SSH)",
    arguments: [VM, { syntax: "[ssh-args...]", description: "arguments for ssh (a command to run, -L …)" }],
    options: [
      RESULT,
      {
        flags: "--wait <seconds>",
        description: "how long to wait for sshd",
        parse: "positive-int",
        default: 60,
      },
    ],
    passThrough: true,
  },
  {
    name: "exec",
    group: "Machines",
    summary: "run a command through the guest agent; exits with its code",
    description: "run a command in a VM through the guest agent (no SSH needed); exits with its code",
    arguments: [VM, { syntax: "<command...>", description: "the command and its arguments (after --)" }],
    options: [
      RESULT,
      {
        flags: "--timeout <seconds>",
        description: "how long the command may run",
        parse: "positive-int",
        default: 60,
      },
      JSON_OUTPUT("{ exitCode, stdout, stderr }"),
    ],
    passThrough: true,
  },
  {
    name: "logs",
    group: "Machines",
    summary: "the serial console log",
    description: "print a VM's serial console log",
    arguments: [VM],
    options: [
      RESULT,
      { flags: "-f, --follow", description: "keep printing new lines until the VM stops", brief: true },
      { flags: "-n, --lines <n>", description: "how many last lines", parse: "positive-int", default: 100 },
    ],
  },
  {
    name: "console",
    group: "Machines",
    summary: "attach to the serial console (detach: Ctrl-])",
    description: "attach to a VM's serial console (detach with Ctrl-])",
    arguments: [VM],
    options: [RESULT],
  },
  {
    name: "test",
    group: "Machines",
    summary: "fresh fleet, run bun:test files using nohead/test, stop; --keep, --interactive",
    description:
      "start the fleet on fresh disks, run test files (bun:test + nohead/test), stop it; exits with the result",
    arguments: [
      { syntax: "[files...]", description: "test files (default: bun test's *.test.ts files here)" },
    ],
    options: [
      RESULT,
      { flags: "--junit <file>", description: "write the results as JUnit XML", brief: true },
      {
        flags: "--keep",
        description: "leave the machines running afterwards and print how to reach them",
        brief: true,
      },
      {
        flags: "--interactive",
        description: "start the fleet, keep it, print how to reach each machine; run no test",
        brief: true,
      },
      {
        flags: "--timeout <seconds>",
        description: "deadline of the whole run",
        parse: "positive-int",
        default: 3600,
      },
    ],
  },
  {
    name: "ui",
    group: "Machines",
    summary: "a live status page of this project's VMs (loopback)",
    description: "a live status page of this project's VMs on loopback; prints a sign-in link",
    arguments: [],
    options: [
      RESULT,
      {
        flags: "--listen <host:port>",
        description: "loopback address to listen on",
        default: "127.0.0.1:7421",
      },
    ],
  },
  {
    name: "agent",
    group: "Remote hosts",
    summary: "the agent: run VMs on this machine for nohead CLIs elsewhere",
    description: "the nohead agent: run VMs on this machine for nohead CLIs elsewhere (docs/agent.md)",
    arguments: [],
    options: [],
    subcommands: [
      {
        name: "serve",
        group: "Remote hosts",
        summary: "run VMs on this machine for nohead CLIs elsewhere (docs/agent.md)",
        description: "serve the agent's HTTP API and status page (loopback only unless TLS or --insecure)",
        arguments: [],
        options: [
          {
            flags: "--listen <host:port>",
            description: "address to listen on",
            default: "127.0.0.1:7420",
            brief: true,
          },
          {
            flags: "--token-file <file>",
            description:
              "token clients must send (default: $CREDENTIALS_DIRECTORY/token, else ~/.config/nohead/agent-token)",
          },
          {
            flags: "--state-dir <dir>",
            description: "where VM state and received machines live (default: ~/.local/state/nohead/agent)",
          },
          { flags: "--tls-cert <file>", description: "PEM certificate: serve HTTPS (with --tls-key)" },
          { flags: "--tls-key <file>", description: "PEM private key of --tls-cert" },
          { flags: "--insecure", description: "allow a non-loopback address without TLS" },
          {
            flags: "--allow-qemu-args",
            description: "accept the harmless extra QEMU arguments (memory, CPUs, …) in start requests",
          },
          {
            flags: "--store-dir <dir>",
            description: "the Nix store runner paths must be valid in",
            default: "/nix/store",
          },
          {
            flags: "--only-trusted-runners",
            description: "start only closures this agent built or signed by a trusted key",
          },
          {
            flags: "--trusted-public-key <key>",
            description: "a Nix signing key (name:base64) whose closures may run (repeatable)",
            repeatable: true,
          },
          {
            flags: "--allow-flake <pattern>",
            description:
              "a flake reference POST /v1/builds may build, `*` a name (repeatable; none: builds off)",
            repeatable: true,
          },
          {
            flags: "--allow-forward-address <ip>",
            description: "an address forwarded ports may bind (repeatable; default 127.0.0.1)",
            repeatable: true,
          },
          {
            flags: "--max-machines <n>",
            description: "most machines the agent keeps",
            parse: "positive-int",
            default: 32,
          },
          {
            flags: "--allow-host <name>",
            description: "a host name clients may use besides IP addresses and localhost (repeatable)",
            repeatable: true,
          },
          {
            flags: "--ready-file <file>",
            description:
              "once listening, write its URL, node and pid there as JSON, mode 0600 (docs/slurm.md)",
          },
          {
            flags: "--stop-vms-on-exit",
            description:
              "on SIGTERM/SIGINT stop its VMs too, on SIGUSR1 stop them and serve on (a Slurm pilot job, docs/slurm.md)",
          },
          {
            flags: "--network-id <id>",
            description: "put its VMs on this project's private network (8 hex digits; a Slurm pilot job)",
          },
          {
            flags: "--on-slurm-node",
            description: "listen on the NodeAddr of the Slurm node running this job, on --listen's port",
          },
        ],
      },
      {
        name: "token",
        group: "Remote hosts",
        summary: "create the agent's token (mode 0600)",
        description: "create a random agent token in a file only you can read",
        arguments: [],
        options: [
          {
            flags: "--file <file>",
            description: "where to write it (default: ~/.config/nohead/agent-token)",
            brief: true,
          },
          { flags: "--force", description: "replace an existing token file" },
        ],
      },
    ],
  },
];

/** The long name of an option (`--result`), its short one (`-r`) if any, and whether it takes a value. */
export function optionNames(option: OptionSpec): { long: string; short?: string; valued: boolean } {
  const [first, second] = option.flags.split(/[ ,]+/);
  const short = first?.startsWith("--") ? undefined : first;
  const long = (short ? second : first) as string;
  return { long, ...(short ? { short } : {}), valued: option.flags.includes("<") };
}

/** The commander key of an option: `--keep-going` → `keepGoing`. */
export function optionKey(option: OptionSpec): string {
  return optionNames(option)
    .long.slice(2)
    .replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
