# Readiness: what `nohead run`/`runall` wait for before they return, and what `dependsOn` waits
# for. Levels: started (QEMU runs) -> booted (the guest agent answers) -> ready (every declared
# check passes). Each level has a deadline in seconds; a machine that misses one fails with the
# reason, and the command's exit code says so. Once ready, the checks keep running: a machine is
# healthy or unhealthy, and its restart policy says what happens when its QEMU dies.
{ pkgs, ... }:
{
  web = {
    forwardPorts = [
      {
        name = "http";
        guestPort = 80;
      }
    ];
    health = {
      # The SSH banner on the SSH forward (the default; false to skip it).
      ssh = true;
      # Guest ports that must accept TCP connections (each needs a forward, as here).
      tcp = [ 80 ];
      # A command run inside the guest through the guest agent; ready when it exits 0.
      command = "systemctl is-active --quiet nginx && test -s /var/www/index.html";
      # Once ready, the checks run every 10 s (default 30); a run slower than 5 s fails
      # (default 10); 3 failing runs in a row make the machine unhealthy (default 3).
      interval = 10;
      timeout = 5;
      retries = 3;
      # Seconds allowed to reach each level (defaults: 30, 300, 600).
      deadlines = {
        started = 30;
        booted = 300;
        ready = 600;
      };
    };
    init.script = ''
      echo "served by $MACHINE_NAME" > /var/www/index.html
    '';
    nixos-config = {
      services.nginx = {
        enable = true;
        virtualHosts.default.root = "/var/www";
      };
      # The init script (running as nixy) writes the page.
      systemd.tmpfiles.rules = [ "d /var/www 0755 nixy users -" ];
    };
  };

  worker = {
    # Wait for the init script's start too (the default when init.script is not empty).
    health.initScript = true;
    # No SSH check: this machine has no sshd.
    health.ssh = false;
    init.script = ''
      while sleep 5; do date >> ~/heartbeat.txt; done
    '';
    nixos-config = {
      services.openssh.enable = false;
    };
    dependsOn = [ "web" ];
    # Start it again when its QEMU is killed or crashes (not after a power-off from inside);
    # "always" restarts every exit, "no" (the default) none. A `nohead stop` is never undone.
    restart = "on-failure";
  };
}
