# Secrets that never enter the Nix store. A path in `secrets` is only a name here: nohead reads
# the file on the host when the machine starts and hands it to the guest as a systemd credential
# (QEMU fw_cfg). The init script finds it in $CREDENTIALS_DIRECTORY; nothing is in the image, the
# store or a command line.
{ ... }:
{
  api-client = {
    # cp secrets/api-token.example secrets/api-token   (then put your token in it)
    secrets.apiToken = ./secrets/api-token;
    init.script = ''
      token_file="$CREDENTIALS_DIRECTORY/apiToken"
      if [ -r "$token_file" ]; then
        # Use the token without printing it: here, just its length.
        echo "got an API token of $(wc -c < "$token_file") bytes" > ~/token-check.txt
      else
        echo "no apiToken credential: did nohead find secrets/api-token on the host?" > ~/token-check.txt
      fi
    '';
  };

  # Tailscale the same way: the auth key is a credential of the unit that logs in
  # (tailscaled-autoconnect), never a store path. count = 0 keeps this machine off until you have
  # a key: put it in secrets/tailscale.authkey and set count = 1.
  tailnet-node = {
    count = 0;
    tailscaleAuthKeyFile = ./secrets/tailscale.authkey;
  };
}
