# A server and a client on nohead's private network: the client reaches the server by its name,
# with no VPN and no host port in between. `dependsOn` starts the client once the server is
# ready, `health.tcp` says what "ready" means for the server, `forwardPorts` lets the host reach
# the server too.
{ pkgs, ... }:
{
  server = {
    copyToHome."server.py" = ./server.py;
    # Runs for as long as the machine does; its output is in ~/script-at-boot.log and the journal.
    init.script = ''
      python3 ~/server.py 8000
    '';
    # Host port for guest port 8000: null = chosen at run time (`nohead status` shows it).
    # The guest firewall opens every forwarded port.
    forwardPorts = [
      {
        name = "http";
        guestPort = 8000;
        hostPort = null;
      }
    ];
    # Ready = SSH answers (the default) and the server accepts connections on 8000.
    health.tcp = [ 8000 ];
    nixos-config = {
      environment.systemPackages = [ pkgs.python3 ];
    };
  };

  client = {
    # `server` is a machine type: the client waits for all of its instances to be ready.
    dependsOn = [ "server" ];
    copyToHome."client.py" = ./client.py;
    init.script = ''
      # `server` resolves to its private address (10.213.x.y) through /etc/hosts.
      python3 ~/client.py http://server:8000/ > ~/client-output.txt 2>&1
    '';
    nixos-config = {
      environment.systemPackages = [ pkgs.python3 ];
    };
  };
}
