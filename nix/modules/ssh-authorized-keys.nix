# SSH keys without the Nix store: nohead passes the host user's public keys at run time as the
# systemd credential `nohead.ssh-authorized-keys` (QEMU fw_cfg); a oneshot unit installs them as a
# root-owned authorized_keys file for the machine's user before sshd starts. Without the credential
# the machine still accepts the password, as no-headache's did.
# Part of nohead-machine.nix (see its interface comment).
{
  config,
  pkgs,
  nohead,
  ...
}:
let
  contract = import ./guest-contract.nix;
  inherit (nohead.machineType) username;
  credential = contract.sshAuthorizedKeysCredential;
  dir = contract.sshAuthorizedKeysDir;
in
{
  # Merged with NixOS' own entries (~/.ssh/authorized_keys, /etc/ssh/authorized_keys.d/%u).
  services.openssh.authorizedKeysFiles = [ "${dir}/%u" ];

  # systemd imports fw_cfg credentials in PID 1 before any module loading by udev; have the
  # fw_cfg driver there already (systemd also tries to load it itself when it detects QEMU).
  boot.initrd.kernelModules = [ "qemu_fw_cfg" ];

  systemd.services.nohead-ssh-authorized-keys = {
    description = "Install the SSH keys nohead passed for ${username}";
    wantedBy = [ "multi-user.target" ];
    # Only sshd.service: with services.openssh.startWhenNeeded sshd is socket-activated
    # (sshd.socket + sshd@.service), and ordering this ordinary unit (after basic.target) before
    # a socket unit (before sockets.target, itself before basic.target) would be a cycle.
    before = [ "sshd.service" ];
    path = [ pkgs.coreutils ];
    serviceConfig = {
      Type = "oneshot";
      RemainAfterExit = true;
      # ImportCredential skips a credential that was not passed (LoadCredential would fail the unit).
      ImportCredential = credential;
    };
    script = ''
      install -d -m 0755 ${dir}
      source="''${CREDENTIALS_DIRECTORY:-/nonexistent}/${credential}"
      if [ -r "$source" ]; then
        install -m 0644 "$source" ${dir}/${username}
        echo "installed the SSH keys nohead passed for ${username}"
      else
        rm -f ${dir}/${username}
        echo "no ${credential} credential was passed: ${username} logs in with the password only"
      fi
    '';
  };
}
