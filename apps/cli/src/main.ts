#!/usr/bin/env bun
/**
 * The `nohead` entry point: prints help for its aliases, runs the command, and maps every error
 * to a message and an exit code in one place (docs/cli.md lists the codes).
 */
import { takeResult } from "./argv.ts";
import { HELP_ALIASES, HELP_TEXT } from "./help-text.ts";

const VERSION = "0.1.0";

/** Commands that start VMs through the project's supervisor (early-supervisor.ts). */
const STARTING_COMMANDS = new Set(["run", "runall", "restart"]);

async function main(argv: string[]): Promise<number> {
  const first = argv[0];
  if (first === undefined || (HELP_ALIASES.has(first) && argv.length === 1)) {
    // Bun.write skips the cost of setting up process.stdout (~20 ms) on this fast path.
    await Bun.write(Bun.stdout, HELP_TEXT);
    return 0;
  }
  const { result = "result", rest } = takeResult(argv);
  if (rest[0] === "supervise" && rest[1] === "--state-dir" && rest.length === 3) {
    // Started by other commands, which wait for it: skip the argument parser.
    const { runSupervisor } = await import("@nohead/agent/supervise");
    return runSupervisor({ stateDir: rest[2] as string });
  }
  if (STARTING_COMMANDS.has(rest[0] as string)) {
    // Its start then overlaps this command's own (module loading, reading the build).
    (await import("./early-supervisor.ts")).launchSupervisorEarly(process.cwd(), result, rest);
  }
  if (rest[0] === "status" && rest.slice(1).every((a) => a === "--json")) {
    // The common `status` (every machine, local project) skips the parser and the schemas.
    const [{ fastStatus }, { printStatuses }] = await Promise.all([
      import("./commands/status-fast.ts"),
      import("./status-view.ts"),
    ]);
    const found = fastStatus(process.cwd(), result);
    if (found) {
      await printStatuses(found.statuses, { json: rest.includes("--json"), supervisor: found.supervisor });
      return 0;
    }
  }
  if (rest.length === 1 && rest[0] === "list") {
    // The old tool's `list` is used in prompts and loops: skip the argument parser entirely.
    return (await import("./commands/list.ts")).run([], { result });
  }
  const { buildProgram } = await import("./program.ts");
  const program = buildProgram(VERSION);
  try {
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    const { reportError } = await import("./report-error.ts");
    return reportError(error);
  }
}

process.exitCode = await main(process.argv.slice(2));
