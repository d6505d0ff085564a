/** The overview, the parser and the tables agree: every command and option comes from one table. */
import { expect, test } from "bun:test";
import type { Command } from "commander";
import { COMMANDS, type CommandSpec } from "./command-specs.ts";
import { HELP_TEXT, usageOf } from "./help-text.ts";
import { buildProgram } from "./program.ts";

function pairs(specs: CommandSpec[], commands: readonly Command[]): [CommandSpec, Command][] {
  expect(commands.map((c) => c.name())).toEqual(specs.map((s) => s.name));
  return specs.map((s, i) => [s, commands[i] as Command]);
}

test("the parser has exactly the tables' commands, arguments and options", () => {
  const check = (specs: CommandSpec[], commands: readonly Command[]) => {
    for (const [spec, command] of pairs(specs, commands)) {
      expect(command.options.map((o) => o.flags)).toEqual(spec.options.map((o) => o.flags));
      expect(command.registeredArguments.map((a) => a.name())).toEqual(
        spec.arguments.map((a) => a.syntax.replace(/[[\]<>.]/g, "")),
      );
      if (spec.subcommands) check(spec.subcommands, command.commands);
    }
  };
  check(COMMANDS, buildProgram("0").commands);
});

test("the overview lists every command with its usage and summary, and each of its brief flags exists", () => {
  const program = buildProgram("0");
  for (const [spec, command] of pairs(COMMANDS, program.commands)) {
    if (spec.hidden) continue;
    const entries = spec.subcommands
      ? spec.subcommands.map((sub) => ({ spec: sub, usage: usageOf(sub, `${spec.name} `) }))
      : [{ spec, usage: usageOf(spec) }];
    for (const entry of entries) {
      expect(HELP_TEXT).toContain(`  ${entry.usage}`);
      expect(HELP_TEXT).toContain(entry.spec.summary);
    }
    const known = command.options.flatMap((o) => [o.short, o.long]);
    for (const flag of usageOf(spec).matchAll(/\[(-[-\w]+)/g)) {
      if (flag[1] !== "--") expect(known).toContain(flag[1]);
    }
  }
});

test("every command that acts on a project takes -r after its name, list included", () => {
  const program = buildProgram("0");
  const withoutResult = program.commands
    .filter((c) => !c.options.some((o) => o.long === "--result"))
    .map((c) => c.name());
  expect(withoutResult).toEqual(["init", "plan", "doctor", "path", "supervise", "agent"]);
});
