# The build entry point: a configs.nix in, the nohead build result out — one NixOS evaluation, one
# system and one VM runner per machine type whatever its count (instances get their identity when
# they start: docs/nix-layer.md, "Identity at run time"), a disk image per type when asked, and `nohead-manifest.json` (Contract 1,
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
#   => a derivation with $out/nohead-manifest.json, $out/machines/<name>, $out/bin/run-<name>-vm
#      (every instance links its type's VM);
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

  # Every machine type evaluates NixOS on its own (so nixpkgs.config and overlays in a nixos-config
  # keep working), once for all its instances; `pkgs.path +` instead of "${pkgs.path}" so that a
  # channel checkout of nixpkgs is not copied to the store.
  evalConfig = import (pkgs.path + "/nixos/lib/eval-config.nix");

  nixosOf =
    forDiskImage: machineType: machines:
    evalConfig {
      inherit system;
      specialArgs.nohead = {
        inherit
          machineType
          machines
          forDiskImage
          configs
          ;
      };
      modules = [
        ./modules/nohead-machine.nix
        machineType.type.nixos-config
      ] ++ lib.optional (!forDiskImage) machineType.type.nixos-config-virt;
    };

  mkRunner =
    machineType: machines:
    let
      inherit (nixosOf false machineType machines) config;
      vm = config.system.build.vm;
    in
    {
      drv = vm;
      # qemu-vm.nix names the script after system.name (the host name unless a user changed it).
      runner = "${vm}/bin/run-${config.system.name}-vm";
      system = "${config.system.build.toplevel}";
      # What the runner gives QEMU (-smp, -m): a scheduler sizes jobs by it.
      resources = {
        inherit (config.virtualisation) cores;
        memoryMiB = config.virtualisation.memorySize;
      };
    };

  mkImage =
    machineType:
    let
      image = (nixosOf true machineType [ ]).config.system.build.noheadDiskImage;
    in
    {
      name = machineType.baseName;
      inherit (image) format path drv;
    };

  # fleet.nix lists `paths` as the kept types' runner derivations followed by the kept images'
  # derivations (in manifest.images order). Every instance gets no-headache's links, to its
  # type's VM: the runner is `<vm>/bin/run-<host>-vm`, so the VM is two directories up.
  mkResult =
    {
      name,
      manifest,
      paths,
    }:
    let
      imageCount = builtins.length manifest.images;
      typeCount = builtins.length paths - imageCount;
      # bin/run-<name>-vm boots the type's runner as that instance, on its own disk (nix/lib/identity.nix).
      machineLinks = map (m: ''
        ln -s ${dirOf (dirOf m.runner)} "$out/machines/${m.name}"
        cat > "$out/bin/run-${m.name}-vm" <<'NOHEAD_LAUNCHER'
        ${noheadLib.identity.instanceLauncher pkgs.runtimeShell m}NOHEAD_LAUNCHER
        chmod +x "$out/bin/run-${m.name}-vm"
      '') manifest.machines;
      imageLinks = lib.imap0 (
        i: img: ''ln -s ${builtins.elemAt paths (typeCount + i)} "$out/images/${img.name}"''
      ) manifest.images;
    in
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
