# services.nohead-agent: runs `nohead agent serve` (apps/agent) as a hardened systemd service, so
# nohead CLIs on other machines can run VMs here (docs/agent.md).
#
# - The token never enters the Nix store: systemd loads it from `tokenFile` as the credential
#   `token` (LoadCredential), and the agent reads `$CREDENTIALS_DIRECTORY/token`. TLS key and
#   certificate travel the same way.
# - A dedicated system user in group `kvm`; ProtectSystem=strict, ProtectHome, PrivateTmp,
#   NoNewPrivileges, no capabilities, /dev/kvm the only device.
# - VMs outlive the agent process (KillMode=process): a restarted or upgraded agent re-adopts them
#   from its state directory. `stopVmsAtShutdown` stops them gracefully when the host goes down.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  cfg = config.services.nohead-agent;
  inherit (lib)
    mkEnableOption
    mkIf
    mkOption
    types
    ;

  # The port of `host:port` / `[v6]:port`.
  listenPort = lib.toInt (lib.last (lib.splitString ":" cfg.listen));
  listenHost = lib.removeSuffix ":${toString listenPort}" cfg.listen;
  isLoopback =
    builtins.elem listenHost [
      "localhost"
      "[::1]"
    ]
    || lib.hasPrefix "127." listenHost;

  tls = cfg.tls.certFile != null && cfg.tls.keyFile != null;
  runtimeDir = "/run/nohead-agent";
  environment = {
    # Sockets (QMP, guest agent) live here; kept across restarts so a new agent reaches its VMs.
    XDG_RUNTIME_DIR = runtimeDir;
    NOHEAD_STATE_DIR = cfg.stateDir;
    HOME = cfg.stateDir;
  };

  serveArgs = [
    "agent"
    "serve"
    "--listen"
    cfg.listen
    "--state-dir"
    cfg.stateDir
  ]
  ++ lib.optionals tls [
    "--tls-cert"
    "%d/tls-cert"
    "--tls-key"
    "%d/tls-key"
  ]
  ++ lib.optional cfg.insecure "--insecure"
  ++ lib.optional cfg.allowQemuArgs "--allow-qemu-args";

  # Shared by the agent and the unit that stops VMs at shutdown.
  hardening = {
    User = cfg.user;
    Group = cfg.group;
    SupplementaryGroups = [ "kvm" ];
    StateDirectory = lib.removePrefix "/var/lib/" cfg.stateDir;
    StateDirectoryMode = "0700";
    RuntimeDirectory = "nohead-agent";
    RuntimeDirectoryMode = "0700";
    RuntimeDirectoryPreserve = "yes";
    UMask = "0077";
    WorkingDirectory = cfg.stateDir;

    ProtectSystem = "strict";
    # Builds (POST /v1/builds) talk to the Nix daemon through its socket. "-": skipped where the
    # path does not exist (a single-user Nix), instead of failing the unit (systemd.exec(5)).
    ReadWritePaths = [ "-/nix/var/nix/daemon-socket" ];
    ProtectHome = true;
    PrivateTmp = true;
    NoNewPrivileges = true;
    CapabilityBoundingSet = "";
    AmbientCapabilities = "";
    DevicePolicy = "closed";
    DeviceAllow = [ "/dev/kvm rw" ];
    ProtectKernelTunables = true;
    ProtectKernelModules = true;
    ProtectKernelLogs = true;
    ProtectControlGroups = true;
    ProtectClock = true;
    ProtectHostname = true;
    ProtectProc = "invisible";
    RestrictNamespaces = true;
    RestrictRealtime = true;
    RestrictSUIDSGID = true;
    LockPersonality = true;
    RemoveIPC = true;
    # QEMU (user-mode network, multicast private network, QMP sockets) needs these and no others.
    RestrictAddressFamilies = [
      "AF_UNIX"
      "AF_INET"
      "AF_INET6"
    ];
    SystemCallArchitectures = "native";
    # A deny-list: what neither the agent, Nix's client nor QEMU (TCG or KVM) ever calls.
    SystemCallFilter = [ "~@clock @cpu-emulation @debug @module @mount @obsolete @raw-io @reboot @swap" ];
    SystemCallErrorNumber = "EPERM";
    # QEMU's TCG and Bun's JIT write code at run time: MemoryDenyWriteExecute must stay off.
    MemoryDenyWriteExecute = false;
  };
in
{
  options.services.nohead-agent = {
    enable = mkEnableOption "the nohead agent, which runs nohead VMs on this host for remote nohead CLIs";

    package = mkOption {
      type = types.package;
      description = "The nohead package providing `bin/nohead`.";
      example = lib.literalExpression "inputs.nohead.packages.\${pkgs.stdenv.hostPlatform.system}.nohead";
    };

    listen = mkOption {
      type = types.strMatching "(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}";
      default = "127.0.0.1:7420";
      example = "0.0.0.0:7420";
      description = ''
        Address and TCP port the agent listens on (`host:port`, IPv6 as `[::1]:7420`). A non-loopback
        address needs `tls` (or `insecure`): the token would otherwise cross the network in clear.
      '';
    };

    stateDir = mkOption {
      type = types.strMatching "/var/lib/[A-Za-z0-9._/-]+";
      default = "/var/lib/nohead-agent";
      description = ''
        Directory (under /var/lib, managed by systemd's StateDirectory) holding the VMs' disks and
        state and the machines the agent was given. A new agent on the same directory re-adopts the
        VMs that run there.
      '';
    };

    tokenFile = mkOption {
      type = types.str;
      example = "/run/secrets/nohead-agent-token";
      description = ''
        Absolute path of a file holding the bearer token clients must send (create one with
        `nohead agent token --file <path>`). Read by systemd (LoadCredential) at start, never copied
        to the Nix store; give it as a string, not a Nix path.
      '';
    };

    tls = {
      certFile = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "/var/lib/acme/lab.example.org/fullchain.pem";
        description = "PEM certificate (chain) for HTTPS; loaded as a credential. Null serves plain HTTP.";
      };
      keyFile = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "/var/lib/acme/lab.example.org/key.pem";
        description = "PEM private key of `tls.certFile`; loaded as a credential.";
      };
    };

    insecure = mkOption {
      type = types.bool;
      default = false;
      description = "Allow a non-loopback `listen` address without TLS (only on a network you trust).";
    };

    allowQemuArgs = mkOption {
      type = types.bool;
      default = false;
      description = ''
        Accept the harmless extra QEMU arguments of start requests (memory, CPUs, CPU model, …;
        docs/agent.md lists them). Monitors, drives and other options are refused regardless.
      '';
    };

    openFirewall = mkOption {
      type = types.bool;
      default = false;
      description = "Open the `listen` port in the firewall.";
    };

    stopVmsAtShutdown = mkOption {
      type = types.bool;
      default = true;
      description = ''
        Stop the agent's VMs gracefully (ACPI power-down first, each bounded) when the host shuts
        down. Restarting the agent never stops them.
      '';
    };

    user = mkOption {
      type = types.str;
      default = "nohead-agent";
      description = ''
        System user the agent and its VMs run as. The default, `nohead-agent`, is created here (a
        system user in group kvm, home `stateDir`); any other user must already exist. The service
        gets group kvm (SupplementaryGroups) for /dev/kvm either way.
      '';
    };

    group = mkOption {
      type = types.str;
      default = "nohead-agent";
      description = "Primary group the agent runs as; the default, `nohead-agent`, is created here, any other must exist.";
    };
  };

  config = mkIf cfg.enable {
    assertions = [
      {
        assertion = lib.hasPrefix "/" cfg.tokenFile && !(lib.hasPrefix builtins.storeDir cfg.tokenFile);
        message = "services.nohead-agent.tokenFile must be an absolute path outside the Nix store (it is a secret), got ${cfg.tokenFile}";
      }
      {
        assertion = (cfg.tls.certFile == null) == (cfg.tls.keyFile == null);
        message = "services.nohead-agent.tls.certFile and tls.keyFile go together: set both or neither";
      }
      {
        assertion = isLoopback || tls || cfg.insecure;
        message = "services.nohead-agent.listen = \"${cfg.listen}\" is reachable from the network: set tls.certFile and tls.keyFile, or insecure = true on a trusted network";
      }
      {
        assertion = listenPort >= 1 && listenPort <= 65535;
        message = "services.nohead-agent.listen needs a port between 1 and 65535, got ${cfg.listen}";
      }
    ];

    users.users = lib.optionalAttrs (cfg.user == "nohead-agent") {
      nohead-agent = {
        isSystemUser = true;
        group = cfg.group;
        extraGroups = [ "kvm" ];
        home = cfg.stateDir;
        description = "nohead agent";
      };
    };
    users.groups = lib.optionalAttrs (cfg.group == "nohead-agent") { nohead-agent = { }; };

    networking.firewall.allowedTCPPorts = lib.optional cfg.openFirewall listenPort;

    systemd.services.nohead-agent = {
      description = "nohead agent (runs nohead VMs for remote nohead CLIs)";
      wantedBy = [ "multi-user.target" ];
      after = [ "network-online.target" ];
      wants = [ "network-online.target" ];
      # nix: builds and the runners' closures; ssh-keygen: the key handed to guests.
      path = [
        config.nix.package
        pkgs.openssh
      ];
      inherit environment;
      serviceConfig = hardening // {
        Type = "exec";
        ExecStart = lib.escapeShellArgs ([ "${cfg.package}/bin/nohead" ] ++ serveArgs);
        LoadCredential = [
          "token:${cfg.tokenFile}"
        ]
        ++ lib.optionals tls [
          "tls-cert:${cfg.tls.certFile}"
          "tls-key:${cfg.tls.keyFile}"
        ];
        # Only the agent process is stopped: its VMs (detached QEMU) run on and are re-adopted.
        KillMode = "process";
        Restart = "on-failure";
        RestartSec = "2s";
      };
    };

    # Stopped before nohead-agent at shutdown (reverse order of After=): powers the VMs down
    # gracefully while the system is still up.
    systemd.services.nohead-agent-vms = mkIf cfg.stopVmsAtShutdown {
      description = "Stop the nohead agent's VMs at shutdown";
      wantedBy = [ "multi-user.target" ];
      after = [ "nohead-agent.service" ];
      path = [ config.nix.package ];
      inherit environment;
      serviceConfig = hardening // {
        Type = "oneshot";
        RemainAfterExit = true;
        ExecStart = "${pkgs.coreutils}/bin/true";
        ExecStop = lib.escapeShellArgs [
          "${cfg.package}/bin/nohead"
          "stopall"
        ];
        TimeoutStopSec = "5min";
      };
    };
  };
}
