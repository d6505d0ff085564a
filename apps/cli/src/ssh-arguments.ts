/**
 * The arguments a user passes to `nohead ssh <vm> …`, split the way OpenSSH's own option parser
 * would: leading options (`-v`, `-L 8080:localhost:80`, `-oLogLevel=DEBUG`) and the remote
 * command after them. nohead puts the options before `--` and the destination and the command
 * after it, so nothing that comes from a VM's state or an agent (the user name, the address) can
 * ever be read as an option, while `nohead ssh web-1 -L 8080:localhost:80` keeps working.
 */

/** OpenSSH 9's option letters that take a value (`ssh.c`'s getopt string, letters before a `:`). */
const TAKES_VALUE = new Set("bceilmopBDEFIJLOPQRSWw");

/**
 * Splits `args` into OpenSSH options and the remote command: options run up to the first word
 * that is not one (or up to `--`, which is dropped). A cluster such as `-vL8080:x:80` ends at its
 * first letter that takes a value; when that letter is last, the next word is its value.
 *
 * @example
 * splitSshArguments(["-v", "-L", "8080:localhost:80", "uptime", "-p"]);
 * // => { options: ["-v", "-L", "8080:localhost:80"], command: ["uptime", "-p"] }
 */
export function splitSshArguments(args: readonly string[]): { options: string[]; command: string[] } {
  let i = 0;
  while (i < args.length) {
    const arg = args[i] as string;
    if (arg === "--") return { options: args.slice(0, i), command: args.slice(i + 1) };
    if (!arg.startsWith("-") || arg === "-") break;
    let valueFollows = false;
    for (let j = 1; j < arg.length; j++) {
      if (TAKES_VALUE.has(arg[j] as string)) {
        valueFollows = j === arg.length - 1;
        break;
      }
    }
    i += valueFollows ? 2 : 1;
  }
  return { options: args.slice(0, i), command: args.slice(i) };
}
