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

  program
    .command("path")
    .description("print where nohead's own files (nix/, examples/) are")
    .action(lazy(() => import("./commands/path.ts")));

  return program;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  }
  return n;
}
