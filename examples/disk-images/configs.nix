# Disk images: `diskImage` takes the parameters of nixpkgs' make-disk-image.nix (`format` is
# required). Images are built only when asked (makeDiskImages = true in flake.nix's buildConfig),
# one per machine type whatever its count, named after the type.
{ pkgs, ... }:
{
  # A qcow2 image, with room to spare, and a VM that also has a shared directory.
  qcow = {
    diskImage = {
      format = "qcow2";
      additionalSpace = "512M";
    };
    # For VMs and the image.
    nixos-config = {
      environment.systemPackages = [ pkgs.cowsay ];
    };
    # For VMs only: disk images ignore nixos-config-virt (virtualisation.* does not exist there).
    nixos-config-virt = {
      environment.systemPackages = [ pkgs.lolcat ];
      environment.variables.ONLY_IN_VM = "set in nixos-config-virt";
    };
  };

  # A raw image; two VMs (raw-1, raw-2) but a single image named `raw`.
  raw = {
    count = 2;
    diskImage = {
      format = "raw";
      additionalSpace = "0M";
    };
    init.script = ''
      # In the image: MACHINE_NAME=raw, MACHINE_INDEX=1, MACHINE_TYPE=image.
      env | grep '^MACHINE_' | sort > ~/machine.txt
    '';
  };

  # No diskImage: VMs only, never an image.
  vm-only = { };
}
