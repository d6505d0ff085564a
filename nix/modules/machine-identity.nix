# Who the machine type is and how one gets in: its static host name, the login user, the MACHINE_*
# variables known at build time, SSH, the firewall, the guest agent and a few no-headache defaults
# (vim, htop, flakes in nix). An instance's own name and index come at run time
# (./runtime-identity.nix).
# Part of nohead-machine.nix (see its interface comment).
{
  config,
  lib,
  pkgs,
  nohead,
  ...
}:
let
  inherit (nohead) machineType;
  guestPortsOf =
    protocol:
    lib.unique (map (f: f.guestPort) (builtins.filter (f: f.protocol == protocol) machineType.guestForwards));
in
{
  # The static host name (/etc/hostname) is the type's: for a VM, systemd takes the instance's
  # from the kernel command line first (`systemd.hostname=`, set by the runtime); a disk image
  # keeps this one.
  networking.hostName = lib.mkDefault config.nohead.machine.baseName;

  environment.variables = config.nohead.environment;

  users.users.${machineType.username} = {
    isNormalUser = lib.mkDefault true;
    # no-headache's documented password, for the console (`nohead console`, a window): SSH takes
    # keys only (below), passed by nohead at run time (ssh-authorized-keys.nix).
    initialPassword = lib.mkDefault "nixos";
    extraGroups = [ "wheel" ];
  };

  services.openssh.enable = lib.mkDefault true;
  # Keys only: any local user can reach a guest's forwarded SSH port on 127.0.0.1, and the password
  # is public. nixpkgs' defaults are `true` for both (sshd.nix); PasswordAuthentication also turns
  # off PAM's unix auth for sshd (`unixAuth = cfg.settings.PasswordAuthentication`).
  services.openssh.settings = {
    PasswordAuthentication = lib.mkDefault false;
    KbdInteractiveAuthentication = lib.mkDefault false;
  };

  # Every forwarded guest port (SSH first) is reachable; forwards themselves are added by nohead at
  # run time (QEMU hostfwd on 127.0.0.1), never through virtualisation.forwardPorts.
  networking.firewall = {
    enable = lib.mkDefault true;
    allowedTCPPorts = guestPortsOf "tcp";
    allowedUDPPorts = guestPortsOf "udp";
  };

  # nohead's `booted` level and `exec` talk to this agent. For VMs qemu-vm.nix also sets this option
  # (from virtualisation.qemu.guestAgent.enable, default true) at normal priority: turn the agent
  # off there, not here.
  services.qemuGuest.enable = lib.mkDefault true;

  environment.systemPackages = with pkgs; [
    vim
    htop
  ];

  nix.settings.experimental-features = [
    "nix-command"
    "flakes"
  ];

  # no-headache's value, so stateful services (PostgreSQL's data format, …) keep the versions they
  # had for people who move their configs.nix over; a nixos-config that sets it wins.
  system.stateVersion = lib.mkDefault "24.05";
}
