# An instance's identity, given by the runtime when it starts the VM (Contract 2, the kernel
# command line it appends through QEMU_KERNEL_PARAMS) and applied before any service needs it:
#
#   systemd.hostname=<name>        systemd (PID 1) sets the host name from it before starting any
#                                  unit; it wins over /etc/hostname (the type's name)
#   systemd.setenv=MACHINE_*=<v>   PID 1 adds each to the environment of every unit it starts
#                                  (the init script's unit included)
#
# Login shells get them from the file written here, which environment.extraInit sources (the
# same shells environment.variables reaches). The private address is ./private-network.nix's.
# VMs only: a disk image has no runtime and keeps its build-time values (nohead.environment).
# Part of nohead-machine.nix (see its interface comment).
{
  lib,
  pkgs,
  nohead,
  ...
}:
let
  contract = import ./guest-contract.nix;
  envFile = contract.machineEnvFile;
in
{
  config = lib.mkIf (!nohead.forDiskImage) {
    systemd.services.nohead-machine-env = {
      description = "Write the MACHINE_* variables nohead gave this instance for login shells";
      wantedBy = [ "sysinit.target" ];
      before = [ "sysinit.target" ];
      unitConfig.DefaultDependencies = false;
      path = [ pkgs.coreutils ];
      serviceConfig = {
        Type = "oneshot";
        RemainAfterExit = true;
      };
      # The values come from the manager's environment (systemd.setenv=). Only the four names,
      # only values made of safe characters, so sourcing the file runs nothing.
      script = ''
        mkdir -p ${dirOf envFile}
        : > ${envFile}.tmp
        for name in MACHINE_NAME MACHINE_BASE_NAME MACHINE_INDEX MACHINE_TYPE; do
          value=$(printenv "$name" || true)
          case "$value" in
            "") echo "$name was not given on the kernel command line" ;;
            *[!A-Za-z0-9._-]*) echo "ignoring $name: only letters, digits, '.', '_' and '-' are allowed" ;;
            *) printf 'export %s=%s\n' "$name" "$value" >> ${envFile}.tmp ;;
          esac
        done
        chmod 0644 ${envFile}.tmp
        mv -f ${envFile}.tmp ${envFile}
      '';
    };

    environment.extraInit = ''
      if [ -r ${envFile} ]; then . ${envFile}; fi
    '';
  };
}
