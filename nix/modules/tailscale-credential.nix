# Tailscale without the key in the Nix store. no-headache passed the key file's path literal to
# services.tailscale.authKeyFile, which copies the key into the world-readable store. Here the key
# is a systemd credential: nohead reads the host file at run time and passes it with QEMU fw_cfg,
# and tailscaled-autoconnect (the nixpkgs unit that reads authKeyFile, as root) loads it into its
# own credentials directory, which is where authKeyFile points.
# Part of nohead-machine.nix (see its interface comment).
{
  config,
  lib,
  nohead,
  ...
}:
let
  contract = import ./guest-contract.nix;
  credential = contract.tailscaleAuthKeyCredential;
  wanted = nohead.machineType.type.tailscaleAuthKeyFile != null;
  keyPath = "/run/credentials/tailscaled-autoconnect.service/${credential}";
  cfg = config.services.tailscale;
in
{
  config = lib.mkIf wanted {
    services.tailscale = {
      enable = lib.mkDefault true;
      # A string, not a path literal: nothing is copied to the store.
      authKeyFile = lib.mkDefault keyPath;
    };

    # LoadCredential (not ImportCredential): a key that was not passed fails the unit with a clear
    # credentials error instead of a confusing `cat` failure inside the script.
    systemd.services.tailscaled-autoconnect = lib.mkIf (cfg.enable && cfg.authKeyFile == keyPath) {
      serviceConfig.LoadCredential = [ "${credential}:${credential}" ];
    };
  };
}
