# A host directory inside the VM, read-write, through nixpkgs' virtualisation.sharedDirectories
# (9p). Files written there survive the VM, a rebuild and `nohead destroy`.
{ ... }:
{
  shared-dirs = {
    init.script = ''
      date > /mnt/shared/written-by-vm.txt
      echo "$MACHINE_NAME wrote this" >> /mnt/shared/written-by-vm.txt
    '';
    # virtualisation.* options exist only in VMs: keep them in nixos-config-virt, which disk
    # images ignore.
    nixos-config-virt = {
      virtualisation.sharedDirectories = {
        # The attribute name is the 9p mount tag; any name, as many directories as you like.
        exampleShare = {
          # Host side: must exist before the VM starts (mkdir -p /tmp/nohead-shared/shared-dir).
          source = "/tmp/nohead-shared/shared-dir";
          # Guest side.
          target = "/mnt/shared";
        };
      };
    };
  };
}
