# The pure nohead library: everything about a configs.nix that can be computed without nixpkgs.
#
# It only uses builtins, never forces `pkgs` and never reads a path's contents, so `nohead plan`
# evaluates it with `pkgs` bound to a value that throws. The NixOS side (nix/modules) and the
# build entry point (nix/build-config.nix) consume what it returns.
let
  options = import ./options.nix;
  instances = import ./instances.nix { inherit options; };
  validation = import ./validate.nix { inherit options; };
  plan = import ./plan.nix { inherit instances validation; };
  machineTypes = import ./machine-types.nix;
  fleet = import ./fleet.nix { inherit plan machineTypes; };
in
{
  inherit (options) defaults knownOptions diskImageDefaults;
  inherit (instances) expandConfigs;
  inherit (validation) errorsOf;
  inherit (plan) planOf machinesOf;
  inherit (machineTypes) machineTypesOf;
  inherit (fleet) manifestOf mkFleet;
  network = import ./network.nix;
  strings = import ./strings.nix;
  graph = import ./graph.nix;
  systemd = import ./systemd.nix;
  identity = import ./identity.nix;
}
