# Names of systemd units, computed without nixpkgs so they are evaluated in ./tests.nix. The
# NixOS modules use them where nixpkgs would use nixos/lib/utils.nix (not available to nix/lib).
let
  # Printable ASCII in code order, from 0x20 (space) to 0x7e (~): a character's code is 32 + index.
  printable = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";
  codes = builtins.listToAttrs (
    builtins.genList (i: {
      name = builtins.substring i 1 printable;
      value = 32 + i;
    }) (builtins.stringLength printable)
  );
  hexDigits = [ "0" "1" "2" "3" "4" "5" "6" "7" "8" "9" "a" "b" "c" "d" "e" "f" ];
  hexByte = n: builtins.elemAt hexDigits (n / 16) + builtins.elemAt hexDigits (n - n / 16 * 16);
  charsOf = s: builtins.genList (i: builtins.substring i 1 s) (builtins.stringLength s);

  escapeChar =
    path: c:
    if builtins.match "[A-Za-z0-9:_.]" c != null then
      c
    else if codes ? ${c} then
      "\\x${hexByte codes.${c}}"
    else
      throw "nohead: escapeSystemdPath supports printable ASCII only, got a byte it cannot escape in \"${path}\"";
in
rec {
  /**
    Escapes a path for a unit name like `systemd-escape --path` and nixpkgs'
    `utils.escapeSystemdPath` (systemd.unit(5), "String Escaping for Inclusion in Unit Names"):
    leading, trailing and duplicate "/" and "." components are dropped, "/" becomes "-", every
    character other than ASCII letters, digits, ":", "_" and "." becomes a C-style "\xNN"
    escape, and so does a leading "."; the root "/" is "-". Printable ASCII only; ".."
    components throw (systemd refuses them too).

    Example: escapeSystemdPath "/dev/disk/by-label/nixos" => "dev-disk-by\\x2dlabel-nixos"
  */
  escapeSystemdPath =
    path:
    let
      components = builtins.filter (c: builtins.isString c && c != "" && c != ".") (builtins.split "/" path);
      escaped = builtins.concatStringsSep "-" (
        map (component: builtins.concatStringsSep "" (map (escapeChar path) (charsOf component))) components
      );
    in
    if builtins.elem ".." components then
      throw "nohead: escapeSystemdPath: \"${path}\" is not a normalized path"
    else if components == [ ] then
      "-"
    else if builtins.substring 0 1 escaped == "." then
      "\\x2e" + builtins.substring 1 (-1) escaped
    else
      escaped;

  /**
    The device unit systemd creates for a network interface (what nixpkgs'
    network-interfaces-scripted.nix calls `subsystemDevice`).

    Example: netDeviceUnit "nohead-0" => "sys-subsystem-net-devices-nohead\\x2d0.device"
  */
  netDeviceUnit = interface: "sys-subsystem-net-devices-${escapeSystemdPath interface}.device";
}
