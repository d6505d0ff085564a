# Expands the machine types of a configs.nix into instances: names, indices, ports, users.
# Assumes the types passed validation (validate.nix); never forces nixos-config or a path's contents.
{ options }:
let
  network = import ./network.nix;

  /** A machine type with every option defaulted (nested sets merged one level deep). */
  withDefaults =
    type:
    options.defaults
    // type
    // {
      init = options.defaults.init // (type.init or { });
      health = options.healthDefaults // (type.health or { });
    };

  /** The name of instance `index` (1-based) of a type with `count` instances. */
  instanceName = baseName: count: index: if count == 1 then baseName else "${baseName}-${toString index}";

  /** Host port of instance `index` for a forward whose first instance gets `first` (or null). */
  nthPort = first: index: if first == null then null else first + index - 1;

  /** The forwards of instance `index`: SSH first (always present; null port = allocated at run time). */
  forwardsOf =
    type: index:
    [
      {
        name = "ssh";
        protocol = "tcp";
        guestPort = 22;
        hostPort = nthPort type.firstHostSshPort index;
        hostAddress = "127.0.0.1";
      }
    ]
    ++ map (
      f:
      let
        full = options.forwardDefaults // f;
      in
      {
        name = if full.name != null then full.name else "${full.protocol}-${toString full.guestPort}";
        inherit (full) protocol guestPort hostAddress;
        hostPort = nthPort full.hostPort index;
      }
    ) type.forwardPorts;

  /** Secrets as { name, hostPath }; toString on a path gives its absolute name without copying it. */
  secretsOf =
    type:
    (
      if type.tailscaleAuthKeyFile == null then
        [ ]
      else
        [
          {
            name = "tailscale-authkey";
            hostPath = toString type.tailscaleAuthKeyFile;
          }
        ]
    )
    ++ map (name: {
      inherit name;
      hostPath = toString type.secrets.${name};
    }) (builtins.attrNames type.secrets);

  /**
    Whether a type has an init script. A script that interpolates `pkgs` cannot be read while
    planning (pkgs throws then), and such a script is certainly not empty.
  */
  hasInitScript =
    type:
    let
      r = builtins.tryEval (type.init.script != "");
    in
    if r.success then r.value else true;

  /** The health checks of a type, with `initScript` resolved. */
  healthOf =
    type:
    type.health
    // {
      initScript = if type.health.initScript == null then hasInitScript type else type.health.initScript;
      deadlines = options.healthDefaults.deadlines // (type.health.deadlines or { });
    };
in
{
  inherit withDefaults instanceName hasInitScript;

  /**
    Expands a configs attrset (machine type name -> options) into a flat list of instances,
    ordered by type name, then index. Each instance carries `ordinal`, its position in that list,
    from which its private address is derived.

    Example:
      expandConfigs { web = { count = 2; firstHostSshPort = 2200; }; }
      => [ { name = "web-1"; index = 1; forwards = [ { name = "ssh"; hostPort = 2200; … } ]; … }
           { name = "web-2"; index = 2; … hostPort = 2201; … } ]
  */
  expandConfigs =
    configs:
    let
      perType = builtins.concatMap (
        baseName:
        let
          type = withDefaults configs.${baseName};
        in
        builtins.genList (i: {
          name = instanceName baseName type.count (i + 1);
          inherit baseName type;
          index = i + 1;
          inherit (type) count username host privateNetwork restart;
          forwards = forwardsOf type (i + 1);
          health = healthOf type;
          secrets = secretsOf type;
          hasDiskImage = type.diskImage != null;
        }) type.count
      ) (builtins.attrNames configs);
    in
    builtins.genList (
      ordinal:
      let
        inst = builtins.elemAt perType ordinal;
      in
      inst
      // {
        inherit ordinal;
        network =
          if inst.privateNetwork then
            {
              address = network.addressOf ordinal;
              inherit (network) prefixLength;
              mac = network.macOf ordinal;
            }
          else
            null;
      }
    ) (builtins.length perType);
}
