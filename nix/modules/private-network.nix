# nohead's private network between the machines of one build, without a VPN or root on the host.
# nohead adds a second NIC at run time (a QEMU socket netdev) with the MAC nix/lib assigned to
# this instance. Here, a systemd .link file (honoured by udev whether or not networkd runs) renames
# that NIC to `nohead0` by MAC, and a oneshot started by the NIC's device unit gives it the
# instance's static address; /etc/hosts maps every machine name of the build to its address.
# Without the NIC (a runner started by hand) nothing waits for it: the unit only runs when the
# device appears, unlike networking.interfaces whose unit blocks boot 90 s on a missing device.
# With networking.useNetworkd, networkd configures the address instead (and so leaves it alone).
# VMs only: a disk image runs elsewhere, without nohead's NIC.
# Part of nohead-machine.nix (see its interface comment).
{
  config,
  lib,
  pkgs,
  nohead,
  ...
}:
let
  inherit (nohead) instance machines forDiskImage;
  net = instance.network;
  iface = config.nohead.privateNetwork.interface;
  # systemd escapes the interface name in its device unit's name ("priv-0" is
  # sys-subsystem-net-devices-priv\x2d0.device), as nixpkgs' network-interfaces-scripted.nix does
  # with utils.escapeSystemdPath; nix/lib has the same escaping, tested without nixpkgs.
  device = (import ../lib).systemd.netDeviceUnit iface;
  cidr = "${net.address}/${toString net.prefixLength}";
  peers = builtins.filter (m: m.network != null) machines;
in
{
  config = lib.mkIf (net != null && !forDiskImage) (
    lib.mkMerge [
      {
        systemd.network.links."10-nohead-private" = {
          matchConfig.MACAddress = net.mac;
          linkConfig.Name = iface;
        };

        networking.hosts = builtins.listToAttrs (map (m: lib.nameValuePair m.network.address [ m.name ]) peers);

        # Only machines of this build are on it; their traffic needs no per-port rules.
        networking.firewall.trustedInterfaces = [ iface ];

        # The private network has no DHCP server.
        networking.dhcpcd.denyInterfaces = [ iface ];
      }

      (lib.mkIf (!config.networking.useNetworkd) {
        systemd.services.nohead-private-network = {
          description = "nohead private network address ${cidr} on ${iface}";
          wantedBy = [ device ];
          bindsTo = [ device ];
          after = [ device ];
          before = [ "network.target" ];
          path = [ pkgs.iproute2 ];
          serviceConfig = {
            Type = "oneshot";
            RemainAfterExit = true;
          };
          script = ''
            ip link set dev ${iface} up
            ip address replace ${cidr} dev ${iface}
          '';
        };
      })

      (lib.mkIf config.networking.useNetworkd {
        systemd.network.networks."10-nohead-private" = {
          matchConfig.Name = iface;
          address = [ cidr ];
          networkConfig = {
            DHCP = "no";
            LinkLocalAddressing = "no";
            IPv6AcceptRA = false;
          };
          # Never make network-online wait for the private NIC.
          linkConfig.RequiredForOnline = "no";
        };
      })
    ]
  );
}
