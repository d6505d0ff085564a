/**
 * Turns any error into one readable message on stderr and an exit code: user errors show their
 * message and hint; Nix errors their Nix message and location; anything else is a bug, shown with
 * its stack so it can be reported.
 */
import { CommanderError } from "commander";
import pc from "picocolors";
import { EXIT_CODES, NoheadError } from "@nohead/schema";
import { isDownloadFailure, NixError } from "@nohead/nixgen";
import { QemuProtocolError } from "@nohead/qemu";

/** Prints `error` for a user and returns the exit code. */
export function reportError(error: unknown): number {
  if (error instanceof CommanderError) {
    // commander already printed its message; help/version are not errors.
    if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return 0;
    return EXIT_CODES.usage;
  }
  if (error instanceof NoheadError) {
    const who = error.machine ? `${pc.bold(error.machine)}: ` : "";
    process.stderr.write(`${pc.red("error:")} ${who}${error.message}\n`);
    if (error.hint) process.stderr.write(`${pc.dim("hint:")} ${error.hint}\n`);
    return EXIT_CODES[error.kind];
  }
  if (error instanceof NixError) {
    process.stderr.write(`${pc.red("error:")} ${error.message}\n`);
    if (isDownloadFailure(error.message)) {
      // The network, not the configuration: e.g. `plan -c` of a flake whose inputs are not fetched yet.
      process.stderr.write(
        `${pc.dim("hint:")} Nix could not download what this needs; connect to the network once (later runs use the Nix store)\n`,
      );
      return EXIT_CODES.failed;
    }
    const at = error.details.location;
    if (at && !error.message.includes(`${at.file}:${at.line}`)) {
      process.stderr.write(`${pc.dim("at")} ${at.file}:${at.line}:${at.column}\n`);
    }
    return EXIT_CODES.config;
  }
  if (error instanceof QemuProtocolError) {
    process.stderr.write(`${pc.red("error:")} ${error.message}\n`);
    return EXIT_CODES.failed;
  }
  const bug = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`${pc.red("nohead bug:")} ${bug}\nPlease report it with the command you ran.\n`);
  return 70;
}
