# The private network between all machines of a build: a stable address and MAC per machine.
# Machines are numbered by their position in the (sorted) instance list; numbering starts at 10
# so .0-.9 stay free for future use (a gateway, the host).
rec {
  /** The private subnet, as CIDR. */
  subnet = "10.213.0.0/16";
  prefixLength = 16;

  /** Largest number of machines one build can address. */
  capacity = 65000;

  hexDigits = [ "0" "1" "2" "3" "4" "5" "6" "7" "8" "9" "a" "b" "c" "d" "e" "f" ];
  hexByte = n: builtins.elemAt hexDigits (n / 16) + builtins.elemAt hexDigits (n - (n / 16) * 16);

  /**
    Address of the machine at `ordinal` (0-based position in the instance list).

    Example: addressOf 0 => "10.213.0.10"
  */
  addressOf =
    ordinal:
    let
      n = ordinal + 10;
    in
    "10.213.${toString (n / 256)}.${toString (n - (n / 256) * 256)}";

  /**
    Locally administered MAC of the machine at `ordinal` on the private NIC.

    Example: macOf 0 => "52:54:00:d5:00:0a"
  */
  macOf =
    ordinal:
    let
      n = ordinal + 10;
    in
    "52:54:00:d5:${hexByte (n / 256)}:${hexByte (n - (n / 256) * 256)}";
}
