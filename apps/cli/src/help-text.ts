/**
 * The top-level help, printed by `help` and all its aliases (`h`, `-h`, `--help`,
 * `whatisgoingon`, and no arguments). Kept as one literal so printing it loads nothing else.
 */
export const HELP_ALIASES = new Set(["help", "h", "-h", "--help", "whatisgoingon"]);

export const HELP_TEXT = `nohead: declare many NixOS virtual machines in one configs.nix, build them with Nix,
and run, watch and stop them.

Usage: nohead [-r|--result <link>] <command> [options]

<vm> is a machine name from configs.nix: the type name when count = 1, else <type>-1 … <type>-N.

Project
  init [dir]                  create a new project (flake.nix, configs.nix, examples); never overwrites
  plan [-c|-f] [--json]       list machines, users and ports without building (no nixpkgs needed)
  build [-c|-f]… [--images]   build the VMs (parallel, live progress, --keep-going, --json)
  path                        print where nohead's own files are

Options
  -r, --result <link>         build result to use or create (default: ./result)
  -V, --version               print the version

Run 'nohead <command> --help' for a command's options. Exit codes: docs/cli.md.
`;
