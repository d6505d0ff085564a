# The build entry point: a configs.nix in, the nohead build result out — one NixOS VM (its runner)
# per instance, a disk image per type when asked, and `nohead-manifest.json` (Contract 1,
# docs/manifest.md) that points at them. The pure library (./lib) plans and validates; this file only adds
# what needs nixpkgs: evaluating NixOS (eval-config.nix + ./modules/nohead-machine.nix) and the
# result derivation.
#
# Compatible with no-headache's `buildConfig { configsFile, makeDiskImages, customArgs ? {} }`
# (makeDiskImages defaults to false here). The flake exposes it as `lib.<system>.buildConfig`.
#
# Example:
#   import ./nix/build-config.nix {
#     pkgs = import <nixpkgs> { };
#     configsFile = ./examples/vm-count-option/configs.nix;
#     customArgs = import ./examples/vm-count-option/custom-args.nix;
#   }
#   => a derivation with $out/nohead-manifest.json, $out/machines/<name>, $out/bin/run-<name>-vm;
#      `.nohead.machines` (the plan), `.nohead.drvs` (per-machine derivations), `.nohead.subset`.
{
  pkgs,
  configsFile,
  makeDiskImages ? false,
  customArgs ? { },
  system ? pkgs.stdenv.hostPlatform.system,
  name ? "nohead-result",
}:
let
  inherit (pkgs) lib;
  noheadLib = import ./lib;

  configs = import configsFile { inherit pkgs customArgs; };

  # Like no-headache: every machine evaluates NixOS on its own (so nixpkgs.config and overlays in a
  # nixos-config keep working); `pkgs.path +` instead of "${pkgs.path}" so that a channel checkout
  # of nixpkgs is not copied to the store.
  evalConfig = import (pkgs.path + "/nixos/lib/eval-config.nix");

  nixosOf =
    forDiskImage: instance: machines:
    evalConfig {
      inherit system;
      specialArgs.nohead = {
        inherit
          instance
          machines
          forDiskImage
          configs
          ;
      };
      modules = [
        ./modules/nohead-machine.nix
        instance.type.nixos-config
      ] ++ lib.optional (!forDiskImage) instance.type.nixos-config-virt;
    };

  mkRunner =
    instance: machines:
    let
      inherit (nixosOf false instance machines) config;
      vm = config.system.build.vm;
    in
    {
      drv = vm;
      # qemu-vm.nix names the script after system.name (the host name unless a user changed it).
      runner = "${vm}/bin/run-${config.system.name}-vm";
      system = "${config.system.build.toplevel}";
    };

  mkImage =
    instance:
    let
      image = (nixosOf true instance [ instance ]).config.system.build.noheadDiskImage;
    in
    {
      name = instance.baseName;
      inherit (image) format path drv;
    };

  # fleet.nix lists `paths` as the kept machines' runner derivations (in manifest.machines order)
  # followed by the kept images' derivations (in manifest.images order): zip them with the names.
  mkResult =
    {
      name,
      manifest,
      paths,
    }:
    let
      machineCount = builtins.length manifest.machines;
      machineLinks = lib.imap0 (
        i: m:
        let
          drv = builtins.elemAt paths i;
        in
        ''
          ln -s ${drv} "$out/machines/${m.name}"
          ln -s ${lib.escapeShellArg m.runner} "$out/bin/run-${m.name}-vm"
        ''
      ) manifest.machines;
      imageLinks = lib.imap0 (
        i: img: ''ln -s ${builtins.elemAt paths (machineCount + i)} "$out/images/${img.name}"''
      ) manifest.images;
    in
    assert builtins.length paths == machineCount + builtins.length manifest.images;
    pkgs.runCommand name
      {
        manifestJson = builtins.toJSON manifest;
        passAsFile = [ "manifestJson" ];
        preferLocalBuild = true;
        allowSubstitutes = false;
      }
      ''
        mkdir -p "$out/machines" "$out/images" "$out/bin"
        cp "$manifestJsonPath" "$out/nohead-manifest.json"
        ${lib.concatStrings machineLinks}
        ${lib.concatStringsSep "\n" imageLinks}
      '';
in
noheadLib.mkFleet {
  inherit
    configs
    mkRunner
    mkImage
    mkResult
    name
    ;
  withImages = makeDiskImages;
}
