/**
 * The command-line grammar: every command, its arguments and options, and which module runs it.
 * Command modules are imported lazily so `nohead --help` and `nohead list` start fast.
 */
import { Command, InvalidArgumentError, Option } from "commander";

/** Options every command sees (defined on the root program). */
export interface GlobalOptions {
  result: string;
}

type Action = (args: unknown[], globals: GlobalOptions) => Promise<number | undefined>;

/** Wraps a lazily imported command module as a commander action. */
function lazy(load: () => Promise<{ run: Action }>) {
  return async (...params: unknown[]) => {
    const command = params.at(-1) as Command;
    // A command's own -r wins over the one before the command (commander merges the other way).
    const local = command.opts() as Partial<GlobalOptions>;
    const globals = {
      ...(command.optsWithGlobals() as GlobalOptions),
      ...(local.result ? { result: local.result } : {}),
    };
    const args = params.slice(0, -1);
    const mod = await load();
    const code = await mod.run(args, globals);
    process.exitCode = code ?? 0;
  };
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** `-r` is accepted after the command too (`nohead build -r out`), as well as before it. */
const withResult = (cmd: Command) =>
  cmd.option("-r, --result <link>", "build result to use or create (default: ./result)");

/** Builds the commander program; `version` is printed by -V. */
export function buildProgram(version: string): Command {
  const program = new Command("nohead")
    .description("Declare many NixOS VMs in one configs.nix, build them with Nix, run, watch and stop them.")
    .version(version, "-V, --version")
    .option("-r, --result <link>", "build result to use or create", "result")
    .enablePositionalOptions()
    .showHelpAfterError("(run `nohead <command> --help` for usage)")
    .exitOverride();

  const configOptions = (cmd: Command) =>
    cmd
      .option(
        "-c, --config <flake#attr>",
        "a flake attribute built with nohead's buildConfig (repeatable)",
        collect,
        [],
      )
      .option(
        "-f, --file <configs.nix>",
        "a configs.nix used directly, no flake or git needed (repeatable)",
        collect,
        [],
      )
      .option(
        "--custom-args <file.nix>",
        "an attrset file passed as customArgs to -f configs (default: custom-args.nix beside it)",
      );

  program
    .command("init")
    .description("create a new nohead project (flake.nix, configs.nix, .gitignore, secrets/, examples/)")
    .argument("[dir]", "directory to create the project in", "nohead-project")
    .action(lazy(() => import("./commands/init.ts")));

  configOptions(
    program
      .command("plan")
      .description("list machines, users, ports and dependencies without building (no nixpkgs needed)")
      .option("--json", 'print { "machines": [...] } as JSON'),
  ).action(lazy(() => import("./commands/plan.ts")));

  configOptions(
    withResult(program.command("build"))
      .description("build the VMs of one or more configurations, in parallel, with live progress")
      .option("--images", "also build disk images (types with diskImage; -f configs only)")
      .option("--show-trace", "pass --show-trace to Nix for evaluation errors")
      .option("--keep-going", "build every VM that can be built even when some fail, and link those")
      .addOption(
        new Option("-j, --jobs <n>", "Nix max-jobs (parallel derivation builds)").argParser(positiveInt),
      )
      .option("--json", "print the build results as JSON"),
  ).action(lazy(() => import("./commands/build.ts")));

  const runOptions = (cmd: Command) =>
    withResult(cmd)
      .option("-w, --window", "show each VM in a window")
      .option("-n, --noui", "run headless (default when there is no display)")
      .option("--fresh", "recreate the VM's disk (it is kept across runs otherwise)")
      .option("--host <name>", 'run the machines on this host from the hosts file ("local": this computer)')
      .option("--attach", "stay in the foreground: stream consoles, restart by policy, stop all on Ctrl-C")
      .addOption(
        new Option(
          "--restart <policy>",
          "with --attach: this restart policy instead of each machine's",
        ).choices(["no", "on-failure", "always"]),
      )
      .option("--json", "print the start results as JSON");

  runOptions(program.command("run"))
    .description("start a VM (and the machines it depends on) and return when it is ready")
    .argument("<vm>", "machine name")
    .argument("[qemu-args...]", "extra QEMU arguments (after --)")
    .passThroughOptions()
    .action(lazy(() => import("./commands/run.ts")));

  runOptions(program.command("runall"))
    .description("start every machine of the build, dependencies first, and return when all are ready")
    .action(lazy(() => import("./commands/runall.ts")));

  program
    .command("list")
    .description("running VMs of this project, one name per line")
    .action(lazy(() => import("./commands/list.ts")));

  withResult(program.command("status"))
    .description("state, readiness, pid, uptime, ports and init script of each VM")
    .argument("[vm...]", "machines to show (default: all)")
    .option("--json", "print JSON")
    .action(lazy(() => import("./commands/status.ts")));

  const stopOptions = (cmd: Command) =>
    withResult(cmd)
      .addOption(
        new Option("--timeout <seconds>", "how long the guest gets to power down").argParser(positiveInt),
      )
      .option("--json", "print the stop results as JSON");

  stopOptions(program.command("stop"))
    .description("stop VMs gracefully (ACPI power-down, then quit, SIGTERM, SIGKILL; each bounded)")
    .argument("<vm...>", "machine names")
    .action(lazy(() => import("./commands/stop.ts")));

  stopOptions(program.command("stopall"))
    .description("stop every running VM of this project, in parallel")
    .action(lazy(() => import("./commands/stopall.ts")));

  runOptions(program.command("restart"))
    .description("stop a VM gracefully, then start it and wait until ready")
    .argument("<vm>", "machine name")
    .action(lazy(() => import("./commands/restart.ts")));

  withResult(program.command("destroy"))
    .description("stop VMs, then delete their disks and state")
    .argument("[vm...]", "machine names")
    .option("--all", "every machine of this project")
    .option("-y, --yes", "do not ask for confirmation")
    .option("--json", "print JSON")
    .action(lazy(() => import("./commands/destroy.ts")));

  withResult(program.command("ssh"))
    .description(
      "ssh into a VM as its user with the project's key (waits for sshd; on a host, through its SSH)",
    )
    .argument("<vm>", "machine name")
    .argument("[ssh-args...]", "arguments for ssh (a command to run, -L …)")
    .addOption(new Option("--wait <seconds>", "how long to wait for sshd").argParser(positiveInt).default(60))
    .passThroughOptions()
    .action(lazy(() => import("./commands/ssh.ts")));

  withResult(program.command("exec"))
    .description("run a command in a VM through the guest agent (no SSH needed); exits with its code")
    .argument("<vm>", "machine name")
    .argument("<command...>", "the command and its arguments (after --)")
    .addOption(
      new Option("--timeout <seconds>", "how long the command may run").argParser(positiveInt).default(60),
    )
    .option("--json", "print { exitCode, stdout, stderr } as JSON")
    .passThroughOptions()
    .action(lazy(() => import("./commands/exec.ts")));

  withResult(program.command("logs"))
    .description("print a VM's serial console log")
    .argument("<vm>", "machine name")
    .option("-f, --follow", "keep printing new lines")
    .addOption(new Option("-n, --lines <n>", "how many last lines").argParser(positiveInt).default(100))
    .action(lazy(() => import("./commands/logs.ts")));

  withResult(program.command("console"))
    .description("attach to a VM's serial console (detach with Ctrl-])")
    .argument("<vm>", "machine name")
    .action(lazy(() => import("./commands/console.ts")));

  program
    .command("path")
    .description("print where nohead's own files (nix/, examples/) are")
    .action(lazy(() => import("./commands/path.ts")));

  const agent = program
    .command("agent")
    .description("the nohead agent: run VMs on this machine for nohead CLIs elsewhere (docs/agent.md)");
  agent
    .command("serve")
    .description("serve the agent's HTTP API and status page (loopback only unless TLS or --insecure)")
    .option("--listen <host:port>", "address to listen on", "127.0.0.1:7420")
    .option(
      "--token-file <file>",
      "token clients must send (default: $CREDENTIALS_DIRECTORY/token, else ~/.config/nohead/agent-token)",
    )
    .option(
      "--state-dir <dir>",
      "where VM state and received machines live (default: ~/.local/state/nohead/agent)",
    )
    .option("--tls-cert <file>", "PEM certificate: serve HTTPS (with --tls-key)")
    .option("--tls-key <file>", "PEM private key of --tls-cert")
    .option("--insecure", "allow a non-loopback address without TLS")
    .option("--allow-qemu-args", "accept extra QEMU arguments in start requests")
    .option("--store-dir <dir>", "the Nix store runner paths must be in", "/nix/store")
    .action(lazy(() => import("./commands/agent.ts").then((m) => ({ run: m.serve }))));
  agent
    .command("token")
    .description("create a random agent token in a file only you can read")
    .option("--file <file>", "where to write it (default: ~/.config/nohead/agent-token)")
    .option("--force", "replace an existing token file")
    .action(lazy(() => import("./commands/agent.ts").then((m) => ({ run: m.token }))));

  withResult(program.command("ui"))
    .description("a live status page of this project's VMs on loopback; prints a sign-in link")
    .option("--listen <host:port>", "loopback address to listen on", "127.0.0.1:7421")
    .action(lazy(() => import("./commands/ui.ts")));

  return program;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  }
  return n;
}
