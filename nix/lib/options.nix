# The options a machine type accepts in configs.nix, with no-headache's names and defaults, plus
# nohead's additions. `defaults` is merged under every machine type before expansion.
{
  /** Defaults of every option (no-headache parity first, then nohead's own). */
  defaults = {
    count = 1;
    username = "nixy";
    firstHostSshPort = null;
    init = {
      script = "";
    };
    copyToHome = { };
    tailscaleAuthKeyFile = null;
    diskImage = null;
    nixos-config = { };
    nixos-config-virt = { };
    # nohead additions
    forwardPorts = [ ];
    dependsOn = [ ];
    health = { };
    secrets = { };
    host = null;
    privateNetwork = true;
    restart = "no";
  };

  /** Option names accepted at the top level of a machine type. */
  knownOptions = [
    "count"
    "username"
    "firstHostSshPort"
    "init"
    "copyToHome"
    "tailscaleAuthKeyFile"
    "diskImage"
    "nixos-config"
    "nixos-config-virt"
    "forwardPorts"
    "dependsOn"
    "health"
    "secrets"
    "host"
    "privateNetwork"
    "restart"
  ];

  /** Values of `restart`: what the VM's watcher does when QEMU exits without a stop. */
  restartPolicies = [
    "no"
    "on-failure"
    "always"
  ];

  /**
    Defaults of the `health` option; deadlines, interval and timeout are in seconds. After ready,
    the checks run every `interval`; a run slower than `timeout` fails; `retries` failing runs
    in a row make the machine unhealthy.
  */
  healthDefaults = {
    ssh = true;
    tcp = [ ];
    command = null;
    initScript = null; # null = "true when init.script is not empty"
    interval = 30;
    timeout = 10;
    retries = 3;
    deadlines = {
      started = 30;
      booted = 300;
      ready = 600;
    };
  };

  /**
    What nohead passes to nixpkgs' make-disk-image.nix under a type's `diskImage` (which wins).
    `format` is make-disk-image's own default (`format ? "raw"`), so `diskImage = { }` builds what
    it built in no-headache.
  */
  diskImageDefaults = {
    format = "raw";
    partitionTableType = "legacy+gpt";
    installBootLoader = true;
    onlyNixStore = false;
    touchEFIVars = true;
  };
  /** Fields of the `health` option. */
  healthFields = [
    "ssh"
    "tcp"
    "command"
    "initScript"
    "interval"
    "timeout"
    "retries"
    "deadlines"
  ];

  /** Defaults of one entry of `forwardPorts`. */
  forwardDefaults = {
    name = null;
    protocol = "tcp";
    hostPort = null;
    hostAddress = "127.0.0.1";
  };
}
