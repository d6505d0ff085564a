# Your machines. Each attribute is a machine type; its options are described in nohead's
# docs/configuration.md, and every folder in ./examples shows one feature.
#
#   nohead plan       names, users and ports of every machine, in a second, without building
#   nohead build      build them (./result)
#   nohead runall     start them and wait until they are ready
#   nohead ssh dev    log in (password `nixos`; your SSH keys are passed at run time)
{ pkgs, customArgs, ... }:
{
  dev = {
    # count = 2;                      # dev-1, dev-2 instead of dev
    # username = "nixy";              # the login user (default)
    # firstHostSshPort = 2200;        # a fixed host port for SSH (default: chosen at run time)

    # Runs at every boot as the user; output in ~/script-at-boot.log and `nohead logs dev`.
    init.script = ''
      echo "hello from $MACHINE_NAME" > ~/hello.txt
    '';

    # copyToHome."notes.txt" = ./notes.txt;   # read-only copy in /home/nixy

    # Any NixOS option, for VMs and disk images.
    nixos-config = {
      environment.systemPackages = [
        pkgs.git
        pkgs.python3
      ];
    };

    # NixOS options for VMs only (virtualisation.*).
    nixos-config-virt = {
      virtualisation.memorySize = 2048; # MiB
    };
  };

  # A second machine type, switched off until you need it.
  db = {
    count = 0;
    forwardPorts = [ { guestPort = 5432; } ]; # host port chosen at run time, on 127.0.0.1
    nixos-config = {
      services.postgresql.enable = true;
    };
  };
}
