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

Machines
  run <vm> [-w|-n] [-- qemu…] start a VM (and its dependencies); returns when it is ready
  runall [-w|-n] [--attach]   start every machine, dependencies first; returns when all are ready
  list                        running VMs of this project, one per line
  status [vm…] [--json]       state, readiness, pid, uptime, ports, init script
  stop <vm…> | stopall        graceful stop (ACPI, then quit, SIGTERM, SIGKILL), in parallel
  restart <vm>                stop, then start and wait until ready
  destroy <vm…>|--all [--yes] stop and delete disks and state
  ssh <vm> [ssh args…]        ssh in as the VM's user with the project's key
  exec <vm> -- <cmd…>         run a command through the guest agent; exits with its code
  logs <vm> [-f]              the serial console log
  console <vm>                attach to the serial console (detach: Ctrl-])
  test [files…] [--junit F]   fresh fleet, run bun:test files using nohead/test, stop; --keep, --interactive
  ui                          a live status page of this project's VMs (loopback)

Remote hosts
  agent serve [--listen …]    run VMs on this machine for nohead CLIs elsewhere (docs/agent.md)
  agent token [--file F]      create the agent's token (mode 0600)

Options
  -r, --result <link>         build result to use or create (default: ./result)
  -V, --version               print the version

Run 'nohead <command> --help' for a command's options. Exit codes: docs/cli.md.
`;
