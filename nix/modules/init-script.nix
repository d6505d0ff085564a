# The init unit: once per boot, as the machine's user, after the network is online, it places the
# copyToHome entries (read-only links into the Nix store, like no-headache) and runs init.script in
# a login shell. Output goes to the journal and to ~/script-at-boot.log. Root-owned hooks record
# `started` and `exited <code>` in /run/nohead/init-status for nohead's readiness check.
# The machine type's `secrets` are systemd credentials of this unit ($CREDENTIALS_DIRECTORY).
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
  contract = import ./guest-contract.nix;
  inherit (machineType) type username;
  home = config.users.users.${username}.home;

  # The Tailscale key goes to tailscaled-autoconnect only (tailscale-credential.nix), never to user code.
  secretNames = map (s: s.name) (
    builtins.filter (s: s.name != contract.tailscaleAuthKeyCredential) machineType.secrets
  );

  # A store path for a copyToHome source. Paths are imported under a sanitised name so that file
  # names the store rejects (spaces, …) still work; derivations and store paths are used as they are.
  storePathOf =
    dest: source:
    if lib.isDerivation source || (builtins.isString source && lib.isStorePath source) then
      "${source}"
    else
      "${builtins.path {
        path = source;
        name = lib.strings.sanitizeDerivationName (baseNameOf dest);
      }}";

  placeLines = lib.mapAttrsToList (
    dest: source: "place ${lib.escapeShellArg dest} ${lib.escapeShellArg (storePathOf dest source)}"
  ) type.copyToHome;

  userScript = pkgs.writeShellScript "nohead-init-script-${machineType.baseName}" type.init.script;

  # Runs as the user. No `set -e`: a copyToHome problem is logged and the script still runs.
  runAsUser = pkgs.writeShellScript "nohead-init-${machineType.baseName}" ''
    log="$HOME/${contract.initLogFile}"
    : > "$log"
    note() { printf 'nohead: %s\n' "$*" | tee -a "$log"; }
    place() {
      local dest="$HOME/$1"
      mkdir -p -- "$(dirname -- "$dest")" && ln -sfnT -- "$2" "$dest" \
        || note "could not place copyToHome entry \"$1\" (is something else at $dest?)"
    }
    note "placing ${toString (builtins.length placeLines)} copyToHome entries"
    ${lib.concatStringsSep "\n" placeLines}
    note "starting init.script as $USER in $PWD"
    ${pkgs.bash}/bin/bash --login ${userScript} 2>&1 | tee -a "$log"
    code=''${PIPESTATUS[0]}
    note "init.script exited with code $code"
    exit "$code"
  '';

  statusWriter = status: ''
    mkdir -p ${dirOf contract.initStatusFile}
    printf '%s\n' "${status}" > ${contract.initStatusFile}.tmp
    mv -f ${contract.initStatusFile}.tmp ${contract.initStatusFile}
  '';

  # Root hooks (the `+` prefix): the user must not be able to fake the status nohead waits for.
  markStarted = pkgs.writeShellScript "nohead-init-started" ''
    set -eu
    PATH=${lib.makeBinPath [ pkgs.coreutils ]}
    ${statusWriter "started"}
  '';

  # systemd passes EXIT_CODE (exited|killed|dumped) and EXIT_STATUS (a number or a signal name).
  markExited = pkgs.writeShellScript "nohead-init-exited" ''
    set -eu
    PATH=${lib.makeBinPath [ pkgs.coreutils ]}
    case "''${EXIT_CODE:-}" in
      exited) code="''${EXIT_STATUS:-1}" ;;
      killed | dumped) code=$((128 + $(kill -l "''${EXIT_STATUS:-TERM}" 2>/dev/null || echo 15))) ;;
      *) code=1 ;;
    esac
    ${statusWriter "exited $code"}
  '';
in
{
  systemd.services.${contract.initService} = {
    description = "nohead init.script of ${machineType.baseName} (once per boot, as ${username})";
    wantedBy = [ "multi-user.target" ];
    wants = [ "network-online.target" ];
    after =
      [
        "local-fs.target"
        "network-online.target"
        "nohead-private-network.service"
      ]
      ++ lib.optionals config.services.tailscale.enable [
        "tailscaled.service"
        "tailscaled-autoconnect.service"
      ];
    # Only the variables known at build time: a VM's MACHINE_NAME and MACHINE_INDEX come from the
    # manager's environment (systemd.setenv= on the kernel command line, ./runtime-identity.nix),
    # which Environment= would override.
    environment = config.nohead.environment;
    serviceConfig = {
      # `exec`, not no-headache's `oneshot`: boot reaches multi-user.target while a long script runs.
      Type = "exec";
      User = username;
      WorkingDirectory = home;
      ExecStartPre = [ "+${markStarted}" ];
      ExecStart = "${runAsUser}";
      ExecStopPost = [ "+${markExited}" ];
      Restart = "no";
      # Missing credentials are skipped (the script can test the file); LoadCredential would fail the unit.
      ImportCredential = lib.mkIf (secretNames != [ ]) secretNames;
    };
  };
}
