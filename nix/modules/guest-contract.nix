# The names the guest (these NixOS modules) and the host runtime (libs/qemu, libs/supervisor) agree
# on. Plain data, no nixpkgs: the runtime's documentation (docs/nix-layer.md) lists the same
# values, and changing one here is a breaking change for both sides.
{
  # systemd unit that runs init.script once per boot (no-headache's name, kept so
  # `systemctl status script-at-boot` and `journalctl -u script-at-boot` keep working).
  initService = "script-at-boot";

  # Log of the init unit, in the user's home directory (no-headache's file name).
  initLogFile = "script-at-boot.log";

  # `started` while init.script runs, `exited <code>` once it ended (128 + signal when killed).
  # Written atomically by root; read by nohead's readiness check through the guest agent.
  initStatusFile = "/run/nohead/init-status";

  # systemd credential holding authorized_keys lines for the machine's user. nohead passes it at
  # run time with `-fw_cfg name=opt/io.systemd.credentials/nohead.ssh-authorized-keys,file=…`.
  sshAuthorizedKeysCredential = "nohead.ssh-authorized-keys";

  # Where the guest installs those keys (root-owned, read by sshd as AuthorizedKeysFile).
  sshAuthorizedKeysDir = "/run/nohead/ssh-authorized-keys";

  # systemd credential holding the Tailscale auth key (the name nix/lib gives that secret).
  tailscaleAuthKeyCredential = "tailscale-authkey";

  # Name the private NIC gets (matched by the MAC address nix/lib assigned to the instance).
  privateInterface = "nohead0";

  # Kernel parameters the runtime appends (QEMU_KERNEL_PARAMS) with the instance's private
  # address (`<ipv4>/<prefix length>`) and the MAC of the private NIC it adds.
  privateAddressParameter = "nohead.address";
  privateMacParameter = "nohead.mac";

  # `export MACHINE_*=…` lines for login shells, written at boot from the runtime's values.
  machineEnvFile = "/run/nohead/machine-env";
}
