# VM-only settings: nixpkgs' qemu-vm.nix (which generates the runner nohead starts), no-headache's
# resource defaults and a serial console nohead can log and attach to. Host port forwards are NOT
# declared here (virtualisation.forwardPorts would bake them into the runner, bound to every
# interface): nohead adds `hostfwd=tcp:127.0.0.1:H-:G` rules at run time through QEMU_NET_OPTS.
# Part of nohead-machine.nix (see its interface comment).
{
  lib,
  pkgs,
  modulesPath,
  ...
}:
let
  # ttyS0 on x86, ttyAMA0 on aarch64: the same choice qemu-vm.nix makes.
  serialDevice = (import (modulesPath + "/../lib/qemu-common.nix") { inherit lib pkgs; }).qemuSerialDevice;
in
{
  imports = [ (modulesPath + "/virtualisation/qemu-vm.nix") ];

  virtualisation.memorySize = lib.mkDefault 1024;
  virtualisation.cores = lib.mkDefault 1;

  # The last console is the primary one (/dev/console: systemd's boot messages, emergency shell).
  # qemu-vm.nix makes tty0 primary while `virtualisation.graphics` is on (its default, kept so
  # `nohead run -w` shows a window); nohead runs headless and records the serial port, so the
  # serial console comes last. The window still shows kernel messages and a login on tty1.
  virtualisation.qemu.consoles = lib.mkDefault [
    "tty0"
    "${serialDevice},115200n8"
  ];
}
