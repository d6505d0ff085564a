# SSH from the host: `firstHostSshPort` fixes the host port of instance 1; instance i gets
# firstHostSshPort + i - 1. Without it nohead picks a free port at run time (`nohead status`
# shows it) and `nohead ssh <machine>` works either way. Ports are bound to 127.0.0.1.
{ pkgs, ... }:
{
  # nohead ssh bird  (host port 2220)
  bird = {
    firstHostSshPort = 2220;
    nixos-config = {
      environment.systemPackages = [ pkgs.jq ];
    };
  };

  # nohead ssh turtle-1  (2221)   nohead ssh turtle-2  (2222)
  turtle = {
    count = 2;
    firstHostSshPort = 2221;
    nixos-config = {
      environment.systemPackages = [ pkgs.bat ];
    };
  };

  # Another login name: nohead ssh fish logs in as `fish` (2223; 2222 is turtle-2's).
  fish = {
    username = "fish";
    firstHostSshPort = 2223;
  };

  # No fixed port: nohead allocates one when the machine starts.
  owl = { };
}
