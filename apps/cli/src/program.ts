/**
 * The command-line grammar: commander built from the command tables (command-specs.ts), and
 * which module runs each command. Command modules are imported lazily so `nohead --help` and
 * `nohead list` start fast.
 */
import { Command, InvalidArgumentError, Option } from "commander";
import { ArgvError, parseValue, splitPassThrough } from "./argv.ts";
import { COMMANDS, type CommandSpec, type OptionSpec } from "./command-specs.ts";

/** Options every command sees (defined on the root program). */
export interface GlobalOptions {
  result: string;
}

type Action = (args: unknown[], globals: GlobalOptions) => Promise<number | undefined>;
type Loader = () => Promise<{ run: Action }>;

/** Which module runs each command (`agent serve` is keyed "agent serve"). */
const MODULES: Record<string, Loader> = {
  init: () => import("./commands/init.ts"),
  plan: () => import("./commands/plan.ts"),
  build: () => import("./commands/build.ts"),
  doctor: () => import("./commands/doctor.ts"),
  events: () => import("./commands/events.ts"),
  supervise: () => import("./commands/supervise.ts"),
  path: () => import("./commands/path.ts"),
  run: () => import("./commands/run.ts"),
  runall: () => import("./commands/runall.ts"),
  list: () => import("./commands/list.ts"),
  status: () => import("./commands/status.ts"),
  stop: () => import("./commands/stop.ts"),
  stopall: () => import("./commands/stopall.ts"),
  restart: () => import("./commands/restart.ts"),
  destroy: () => import("./commands/destroy.ts"),
  ssh: () => import("./commands/ssh.ts"),
  exec: () => import("./commands/exec.ts"),
  logs: () => import("./commands/logs.ts"),
  console: () => import("./commands/console.ts"),
  test: () => import("./commands/test.ts"),
  ui: () => import("./commands/ui.ts"),
  "agent serve": () => import("./commands/agent.ts").then((m) => ({ run: m.serve })),
  "agent token": () => import("./commands/agent.ts").then((m) => ({ run: m.token })),
};

/**
 * Wraps a lazily imported command module as a commander action: takes nohead's own flags back
 * from a pass-through argument list, and lets the command's own -r win over the one before it.
 */
function lazy(spec: CommandSpec, load: Loader) {
  return async (...params: unknown[]) => {
    const command = params.at(-1) as Command;
    const args = params.slice(0, -2);
    const local = { ...(params.at(-2) as Record<string, unknown>) };
    if (spec.passThrough) {
      try {
        args[args.length - 1] = splitPassThrough(spec, args.at(-1) as string[], local);
      } catch (error) {
        if (error instanceof ArgvError) command.error(`error: ${error.message}`, { exitCode: 2 });
        throw error;
      }
      if (local.help) command.help();
    }
    const globals = {
      ...(command.optsWithGlobals() as GlobalOptions),
      ...(typeof local.result === "string" ? { result: local.result } : {}),
    };
    const mod = await load();
    const code = await mod.run([...args, local], globals);
    process.exitCode = code ?? 0;
  };
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function toOption(spec: OptionSpec): Option {
  const option = new Option(spec.flags, spec.description);
  if (spec.choices) option.choices(spec.choices);
  if (spec.repeatable) option.argParser(collect).default([]);
  else if (spec.parse) {
    option.argParser((value: string) => {
      try {
        return parseValue(spec, value);
      } catch (error) {
        throw new InvalidArgumentError((error as Error).message);
      }
    });
  }
  if (spec.default !== undefined) option.default(spec.default);
  if (spec.required) option.makeOptionMandatory();
  return option;
}

function addCommand(parent: Command, spec: CommandSpec, key: string): void {
  const cmd = parent.command(spec.name, { hidden: spec.hidden ?? false }).description(spec.description);
  for (const arg of spec.arguments) cmd.argument(arg.syntax, arg.description, arg.default);
  for (const option of spec.options) cmd.addOption(toOption(option));
  if (spec.passThrough) cmd.passThroughOptions();
  if (spec.subcommands) {
    for (const sub of spec.subcommands) addCommand(cmd, sub, `${key} ${sub.name}`);
    return;
  }
  const load = MODULES[key];
  if (!load) throw new Error(`no module runs "nohead ${key}"`);
  cmd.action(lazy(spec, load));
}

/** Builds the commander program; `version` is printed by -V. */
export function buildProgram(version: string): Command {
  const program = new Command("nohead")
    .description("Declare many NixOS VMs in one configs.nix, build them with Nix, run, watch and stop them.")
    .version(version, "-V, --version")
    .option("-r, --result <link>", "build result to use or create", "result")
    .enablePositionalOptions()
    .showHelpAfterError("(run `nohead <command> --help` for usage)")
    .exitOverride();
  for (const spec of COMMANDS) addCommand(program, spec, spec.name);
  return program;
}
