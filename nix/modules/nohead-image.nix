# Disk-image-only settings and the image itself: nixpkgs' qemu-guest profile (not qemu-vm.nix,
# whose virtualisation.* options would not describe a real disk), a root file system that grows
# to the disk, GRUB on /dev/vda, a serial console, and `system.build.noheadDiskImage` built with
# nixpkgs' make-disk-image.nix using no-headache's defaults (legacy+gpt, boot loader installed,
# EFI variables written, format "raw" as make-disk-image's own default) with the machine type's
# `diskImage` attributes merged over them, so `diskImage = { }` works as it did there.
# Built only when asked (nix/build-config.nix with makeDiskImages = true), once per type.
# Part of nohead-machine.nix (see its interface comment).
{
  config,
  lib,
  pkgs,
  modulesPath,
  nohead,
  ...
}:
let
  serialDevice = (import (modulesPath + "/../lib/qemu-common.nix") { inherit lib pkgs; }).qemuSerialDevice;
  name = config.nohead.machine.name;

  # no-headache's defaults (nix/lib options.nix `diskImageDefaults`: legacy+gpt, boot loader,
  # EFI variables, make-disk-image's default format "raw"), then the type's `diskImage`.
  args = {
    inherit pkgs lib config;
    inherit name;
    baseName = name;
  }
  // (import ../lib).diskImageDefaults
  // nohead.machineType.type.diskImage;

  # make-disk-image.nix names its output file `<baseName>.<extension of the format>`.
  extensions = {
    qcow2 = "qcow2";
    qcow2-compressed = "qcow2";
    raw = "img";
    vpc = "vhd";
    vdi = "vdi";
  };
  fileName = "${args.baseName}.${extensions.${args.format} or args.format}";
  drv = import (modulesPath + "/../lib/make-disk-image.nix") args;
in
{
  imports = [ (modulesPath + "/profiles/qemu-guest.nix") ];

  fileSystems."/" = {
    device = lib.mkDefault "/dev/disk/by-label/nixos";
    fsType = lib.mkDefault "ext4";
    autoResize = lib.mkDefault true;
  };
  boot.growPartition = lib.mkDefault true;

  boot.loader.grub.device = lib.mkDefault "/dev/vda";
  # Boot straight into the only generation.
  boot.loader.timeout = lib.mkDefault 0;

  boot.kernelParams = [
    "console=tty0"
    "console=${serialDevice},115200n8"
  ];

  system.build.noheadDiskImage = {
    inherit drv;
    inherit (args) format;
    path = "${drv}/${fileName}";
  };
}
