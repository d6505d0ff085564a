# nohead's NixOS module: turns a configs.nix machine type into a NixOS machine, either a VM
# (nixpkgs' qemu-vm.nix; its runner is what nohead starts, once per instance) or a disk image
# (nixpkgs' make-disk-image.nix). One evaluation serves every instance of the type: an instance's
# identity (name, index, host name, private address) is given by the runtime when it starts
# (kernel parameters, ./runtime-identity.nix) and applied by the guest at boot.
#
# Interface. Everything comes through `specialArgs` of nixpkgs' eval-config.nix:
#
#   specialArgs.nohead = {
#     machineType;    # one element of (import ../lib).machineTypesOf machines: baseName, type (the
#                     # defaulted options), username, secrets, guestForwards, count, instances,
#                     # privateMacs — what every instance of the type shares
#     machines;       # every instance of the build (machinesOf): names and addresses in /etc/hosts
#     forDiskImage;   # false: a VM (imports qemu-vm.nix); true: a disk image (qemu-guest profile)
#     configs;        # optional: the evaluated configs.nix; its problems become `assertions`
#   };
#
#   modules = [ ./nohead-machine.nix type.nixos-config ] ++ (VMs only) [ type.nixos-config-virt ];
#
# nix/build-config.nix is the caller. User modules may take `{ nohead, ... }` too, or read the
# read-only options `nohead.machine.*` declared here (type-level: what differs between instances
# is only known at run time, as $MACHINE_NAME, $MACHINE_INDEX and the host name). Opinionated
# defaults use lib.mkDefault so a user's nixos-config wins; list options merge instead.
#
# What the runtime relies on (names in ./guest-contract.nix): the identity kernel parameters, the
# init unit and its status file, the SSH keys credential, the Tailscale credential, the private
# NIC matched by MAC, the guest agent. Nothing about host ports is built in: nohead adds
# `hostfwd` rules at run time.
{
  config,
  lib,
  nohead,
  ...
}:
let
  inherit (lib) mkOption types;
  inherit (nohead) machineType forDiskImage;
  contract = import ./guest-contract.nix;
  noheadLib = import ../lib;
  configs = nohead.configs or null;

  # Known at build time for disk images only (one per type, named after it: no-headache's rule);
  # a VM's comes from the runtime.
  runTimeOnly =
    option: variable:
    throw "nohead.machine.${option} is known at run time only: one system serves every instance of \"${machineType.baseName}\". Read \$${variable} in scripts and units (or the host name), or use a separate machine type for an instance that must differ at build time.";

  # copyToHome destinations are joined to the home directory at boot: keep them inside it.
  badDestinations = builtins.filter (
    dest: dest == "" || lib.hasPrefix "/" dest || builtins.elem ".." (lib.splitString "/" dest)
  ) (builtins.attrNames machineType.type.copyToHome);
in
{
  imports = [
    ./machine-identity.nix
    ./runtime-identity.nix
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
        default = if forDiskImage then machineType.baseName else runTimeOnly "name" "MACHINE_NAME";
        defaultText = lib.literalMD "the type name for disk images; VMs: known at run time only";
        example = "web";
        description = "A disk image's machine name (MACHINE_NAME), its type's name. Reading it in a VM's configuration fails: a VM's name is given at run time ($MACHINE_NAME).";
      };
      baseName = mkOption {
        type = types.str;
        readOnly = true;
        default = machineType.baseName;
        example = "web";
        description = "The machine type's name in configs.nix (MACHINE_BASE_NAME).";
      };
      index = mkOption {
        type = types.ints.positive;
        readOnly = true;
        default = if forDiskImage then 1 else runTimeOnly "index" "MACHINE_INDEX";
        defaultText = lib.literalMD "1 for disk images; VMs: known at run time only";
        example = 1;
        description = "A disk image's MACHINE_INDEX (1). Reading it in a VM's configuration fails: a VM's index is given at run time ($MACHINE_INDEX).";
      };
      count = mkOption {
        type = types.ints.unsigned;
        readOnly = true;
        default = machineType.count;
        example = 3;
        description = "How many instances of this machine type the build has (they all run this one system).";
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
    };

    environment = mkOption {
      type = types.attrsOf types.str;
      readOnly = true;
      default =
        {
          MACHINE_BASE_NAME = config.nohead.machine.baseName;
          MACHINE_TYPE = config.nohead.machine.type;
        }
        // lib.optionalAttrs forDiskImage {
          MACHINE_NAME = config.nohead.machine.name;
          MACHINE_INDEX = toString config.nohead.machine.index;
        };
      description = "The MACHINE_* variables known at build time, set system-wide and in the init script's environment: all four for disk images; MACHINE_BASE_NAME and MACHINE_TYPE for VMs, whose MACHINE_NAME and MACHINE_INDEX come from the runtime (./runtime-identity.nix).";
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
      message = ''machine "${machineType.baseName}": copyToHome destination "${dest}" must be a path relative to the home directory, without "..".'';
    }) badDestinations;
}
