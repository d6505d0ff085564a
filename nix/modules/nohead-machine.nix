# nohead's NixOS module: turns one instance of a configs.nix machine type into a NixOS machine,
# either a VM (nixpkgs' qemu-vm.nix; its runner is what nohead starts) or a disk image
# (nixpkgs' make-disk-image.nix).
#
# Interface. Everything comes through `specialArgs` of nixpkgs' eval-config.nix:
#
#   specialArgs.nohead = {
#     instance;       # one element of (import ../lib).machinesOf configs (name, baseName, index,
#                     # username, forwards, secrets, network, type = the defaulted machine type, …)
#     machines;       # the whole list machinesOf returned (every name of the build in /etc/hosts)
#     forDiskImage;   # false: a VM (imports qemu-vm.nix); true: a disk image (qemu-guest profile)
#     configs;        # optional: the evaluated configs.nix; its problems become `assertions`
#   };
#
#   modules = [ ./nohead-machine.nix type.nixos-config ] ++ (VMs only) [ type.nixos-config-virt ];
#
# nix/build-config.nix is the caller. User modules may take `{ nohead, ... }` too, or read the
# read-only options `nohead.machine.*` declared here. Opinionated defaults use lib.mkDefault so a
# user's nixos-config wins; list options (packages, firewall ports) merge instead.
#
# What the runtime relies on (names in ./guest-contract.nix): the init unit and its status file,
# the SSH keys credential, the Tailscale credential, the private NIC matched by MAC, the guest
# agent. Nothing about host ports is built in: nohead adds `hostfwd` rules at run time.
{
  config,
  lib,
  nohead,
  ...
}:
let
  inherit (lib) mkOption types;
  inherit (nohead) instance forDiskImage;
  contract = import ./guest-contract.nix;
  noheadLib = import ../lib;
  configs = nohead.configs or null;

  # Disk images ignore count: one per type, named after the type (no-headache's rule).
  machineName = if forDiskImage then instance.baseName else instance.name;

  # copyToHome destinations are joined to the home directory at boot: keep them inside it.
  badDestinations = builtins.filter (
    dest: dest == "" || lib.hasPrefix "/" dest || builtins.elem ".." (lib.splitString "/" dest)
  ) (builtins.attrNames instance.type.copyToHome);
in
{
  imports = [
    ./machine-identity.nix
    ./init-script.nix
    ./ssh-authorized-keys.nix
    ./tailscale-credential.nix
    ./private-network.nix
    (if forDiskImage then ./nohead-image.nix else ./vm-runner.nix)
  ];

  options.nohead = {
    machine = {
      name = mkOption {
        type = types.str;
        readOnly = true;
        default = machineName;
        example = "web-2";
        description = "The machine's name (MACHINE_NAME): the instance name for VMs, the type name for disk images.";
      };
      baseName = mkOption {
        type = types.str;
        readOnly = true;
        default = instance.baseName;
        example = "web";
        description = "The machine type's name in configs.nix (MACHINE_BASE_NAME).";
      };
      index = mkOption {
        type = types.ints.positive;
        readOnly = true;
        default = instance.index;
        example = 2;
        description = "1-based index of this instance among its type's instances (MACHINE_INDEX); 1 for disk images.";
      };
      type = mkOption {
        type = types.enum [
          "virtual"
          "image"
        ];
        readOnly = true;
        default = if forDiskImage then "image" else "virtual";
        description = "Whether this system is a VM run by nohead or a disk image (MACHINE_TYPE).";
      };
      privateAddress = mkOption {
        type = types.nullOr types.str;
        readOnly = true;
        default = if instance.network == null || forDiskImage then null else instance.network.address;
        example = "10.213.0.11";
        description = "IPv4 address on nohead's private network between the machines of a build; null when off.";
      };
    };

    environment = mkOption {
      type = types.attrsOf types.str;
      readOnly = true;
      default = {
        MACHINE_NAME = config.nohead.machine.name;
        MACHINE_BASE_NAME = config.nohead.machine.baseName;
        MACHINE_INDEX = toString config.nohead.machine.index;
        MACHINE_TYPE = config.nohead.machine.type;
      };
      description = "The MACHINE_* variables, set system-wide and in the init script's environment.";
    };

    privateNetwork.interface = mkOption {
      type = types.strMatching "[A-Za-z0-9_-]{1,15}";
      default = contract.privateInterface;
      example = "priv0";
      description = "Name given to the private network's NIC (found by its MAC address, which nohead assigns).";
    };
  };

  config.assertions =
    map (message: {
      assertion = false;
      inherit message;
    }) (if configs == null then [ ] else noheadLib.errorsOf configs)
    ++ map (dest: {
      assertion = false;
      message = ''machine "${instance.baseName}": copyToHome destination "${dest}" must be a path relative to the home directory, without "..".'';
    }) badDestinations;
}
