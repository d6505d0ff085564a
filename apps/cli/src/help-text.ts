/**
 * The top-level help, printed by `help` and all its aliases (`h`, `-h`, `--help`,
 * `whatisgoingon`, and no arguments). Derived from the command tables (command-specs.ts), which
 * load nothing else, so printing it stays fast.
 */
import { COMMANDS, type CommandSpec, type Group, optionNames } from "./command-specs.ts";

export const HELP_ALIASES = new Set(["help", "h", "-h", "--help", "whatisgoingon"]);

const USAGE_WIDTH = 30;

/** `run <vm> [-w] [-n] [--attach] [-- qemu-args…]`: the name, its arguments and its brief options. */
export function usageOf(command: CommandSpec, prefix = ""): string {
  const last = command.passThrough ? command.arguments.at(-1) : undefined;
  const args = command.arguments.filter((a) => a !== last).map((a) => a.syntax.replace("...", "…"));
  const flags = command.options
    .filter((o) => o.brief)
    .map((o) => {
      const { long, short, valued } = optionNames(o);
      const value = valued ? ` ${o.flags.slice(o.flags.indexOf("<"))}` : "";
      return `[${short ?? long}${value}]`;
    });
  const passed = last?.syntax.replace("...", "…");
  const through = !passed ? [] : passed.startsWith("<") ? [`-- ${passed}`] : [`[-- ${passed.slice(1, -1)}]`];
  return [`${prefix}${command.name}`, ...args, ...flags, ...through].join(" ");
}

function line(usage: string, summary: string): string {
  return usage.length < USAGE_WIDTH
    ? `  ${usage.padEnd(USAGE_WIDTH)}${summary}`
    : `  ${usage}\n  ${" ".repeat(USAGE_WIDTH)}${summary}`;
}

function section(group: Group): string {
  const lines = COMMANDS.filter((c) => c.group === group && !c.hidden).flatMap((c) =>
    c.subcommands
      ? c.subcommands.map((sub) => line(usageOf(sub, `${c.name} `), sub.summary))
      : [line(usageOf(c), c.summary)],
  );
  return `${group}\n${lines.join("\n")}`;
}

export const HELP_TEXT = `nohead: declare many NixOS virtual machines in one configs.nix, build them with Nix,
and run, watch and stop them.

Usage: nohead [-r|--result <link>] <command> [options]

<vm> is a machine name from configs.nix: the type name when count = 1, else <type>-1 … <type>-N.

${section("Project")}

${section("Machines")}

${section("Remote hosts")}

Options
${line("-r, --result <link>", "build result to use or create (default: ./result);")}
${line("", "commands act on the project that holds it, from any directory")}
${line("-V, --version", "print the version")}

Run 'nohead <command> --help' for a command's options. Exit codes: docs/cli.md.
`;
