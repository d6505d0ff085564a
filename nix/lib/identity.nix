# An instance's identity as kernel parameters, and the launcher that gives it to the type's runner.
#
# One system and one runner serve every instance of a machine type; the runtime passes each
# instance its identity on the kernel command line (libs/qemu/src/identity-kernel-params.ts, the
# same list: a test compares them). The build result's `bin/run-<name>-vm` launchers pass it the
# same way, so a runner started by hand boots as its instance, on its own disk.
rec {
  /**
    The kernel parameters that give `machine` (a manifest machine: name, baseName, index,
    network) its identity: `systemd.hostname=` (systemd takes letters, digits and `-` only, so
    `_` is dropped), `systemd.setenv=` for each MACHINE_* variable, and with `privateNetwork` the
    private address and MAC.

    Example: identityKernelParams { name = "web-2"; baseName = "web"; index = 2; network = null; } false
      => [ "systemd.hostname=web-2" "systemd.setenv=MACHINE_NAME=web-2"
           "systemd.setenv=MACHINE_BASE_NAME=web" "systemd.setenv=MACHINE_INDEX=2"
           "systemd.setenv=MACHINE_TYPE=virtual" ]
  */
  identityKernelParams =
    machine: privateNetwork:
    [
      "systemd.hostname=${builtins.replaceStrings [ "_" ] [ "" ] machine.name}"
      "systemd.setenv=MACHINE_NAME=${machine.name}"
      "systemd.setenv=MACHINE_BASE_NAME=${machine.baseName}"
      "systemd.setenv=MACHINE_INDEX=${toString machine.index}"
      "systemd.setenv=MACHINE_TYPE=virtual"
    ]
    ++ (
      if privateNetwork && machine.network != null then
        [
          "nohead.address=${machine.network.address}/${toString machine.network.prefixLength}"
          "nohead.mac=${machine.network.mac}"
        ]
      else
        [ ]
    );

  /**
    The text of `bin/run-<name>-vm` for instance `machine`, run by `shell`: it boots the type's
    runner as that instance, on `./<name>.qcow2` unless NIX_DISK_IMAGE says otherwise (the
    runner's own default, `./<type>.qcow2`, would be one disk for every instance), with its
    identity first on the kernel command line (QEMU_KERNEL_PARAMS given by the caller follow).
    Without the private network: only nohead adds that NIC. Machine names are letters, digits,
    `-` and `_`, so nothing here needs quoting.

    Example: instanceLauncher "/bin/sh" web2 => "#!/bin/sh\n…exec '/nix/store/…/run-web-vm' \"$@\"\n"
  */
  instanceLauncher =
    shell: machine:
    ''
      #!${shell}
      # ${machine.name}: its type's runner, booted as this instance (nohead's nix/lib/identity.nix).
      export NIX_DISK_IMAGE="''${NIX_DISK_IMAGE:-./${machine.name}.qcow2}"
      export QEMU_KERNEL_PARAMS="${builtins.concatStringsSep " " (identityKernelParams machine false)}''${QEMU_KERNEL_PARAMS:+ $QEMU_KERNEL_PARAMS}"
      exec '${machine.runner}' "$@"
    '';
}
