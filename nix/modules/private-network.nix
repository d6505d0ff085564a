# nohead's private network between the machines of one build, without a VPN or root on the host.
# nohead adds a second NIC at run time (a QEMU socket netdev) with the MAC nix/lib assigned to the
# instance, and passes the instance's address on the kernel command line
# (`nohead.address=<ipv4>/<prefix>`, ./guest-contract.nix). The type's system is the same for all
# its instances, so: a systemd .link file (honoured by udev whether or not networkd runs) renames
# the NIC whose MAC is any of the type's instances' to `nohead0`; a oneshot started by that NIC's
# device unit gives it the address from the kernel command line; /etc/hosts maps every machine
# name of the build to its address (the same for every instance, so static).
# Without the NIC (a runner started by hand) nothing waits for it: the unit only runs when the
# device appears, unlike networking.interfaces whose unit blocks boot 90 s on a missing device.
# With networking.useNetworkd, networkd is told to leave the NIC alone (the same unit configures
# it). VMs only: a disk image runs elsewhere, without nohead's NIC.
# Part of nohead-machine.nix (see its interface comment).
{
  config,
  lib,
  pkgs,
  nohead,
  ...
}:
let
  inherit (nohead) machineType machines forDiskImage;
  contract = import ./guest-contract.nix;
  iface = config.nohead.privateNetwork.interface;
  # systemd escapes the interface name in its device unit's name ("priv-0" is
  # sys-subsystem-net-devices-priv\x2d0.device), as nixpkgs' network-interfaces-scripted.nix does
  # with utils.escapeSystemdPath; nix/lib has the same escaping, tested without nixpkgs.
  device = (import ../lib).systemd.netDeviceUnit iface;
  peers = builtins.filter (m: m.network != null) machines;
  parameter = contract.privateAddressParameter;
in
{
  config = lib.mkIf (machineType.privateMacs != [ ] && !forDiskImage) (
    lib.mkMerge [
      {
        # systemd.link(5): [Match] MACAddress= is "a whitespace-separated list of hardware addresses".
        systemd.network.links."10-nohead-private" = {
          matchConfig.MACAddress = lib.concatStringsSep " " machineType.privateMacs;
          linkConfig.Name = iface;
        };

        networking.hosts = builtins.listToAttrs (map (m: lib.nameValuePair m.network.address [ m.name ]) peers);

        # Only machines of this build are on it; their traffic needs no per-port rules.
        networking.firewall.trustedInterfaces = [ iface ];

        # The private network has no DHCP server.
        networking.dhcpcd.denyInterfaces = [ iface ];

        systemd.services.nohead-private-network = {
          description = "nohead private network address on ${iface}";
          wantedBy = [ device ];
          bindsTo = [ device ];
          after = [ device ];
          before = [ "network.target" ];
          path = [
            pkgs.coreutils
            pkgs.iproute2
          ];
          serviceConfig = {
            Type = "oneshot";
            RemainAfterExit = true;
          };
          # set -f: the command line is split into words, never globbed.
          script = ''
            set -f
            address=
            for param in $(cat /proc/cmdline); do
              case "$param" in
                ${parameter}=*) address=''${param#${parameter}=} ;;
              esac
            done
            case "$address" in
              "")
                echo "no ${parameter}= on the kernel command line: ${iface} left without an address"
                exit 0
                ;;
              *[!0-9./]* | */*/*) invalid=1 ;;
              [0-9]*.[0-9]*.[0-9]*.[0-9]*/[0-9]*) invalid= ;;
              *) invalid=1 ;;
            esac
            if [ -n "$invalid" ]; then
              echo "${parameter}=$address is not <ipv4>/<prefix length>: ${iface} left without an address" >&2
              exit 1
            fi
            ip link set dev ${iface} up
            ip address replace "$address" dev ${iface}
            echo "${iface}: $address"
          '';
        };
      }

      (lib.mkIf config.networking.useNetworkd {
        # systemd.network(5) [Link] Unmanaged=: networkd neither configures nor removes what the
        # unit above sets, and network-online never waits for this NIC.
        systemd.network.networks."10-nohead-private" = {
          matchConfig.Name = iface;
          linkConfig.Unmanaged = true;
        };
      })
    ]
  );
}
