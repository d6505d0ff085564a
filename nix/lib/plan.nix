# The plan: the machine list of a configs.nix as plain JSON-able data (Contract 1 without the
# build outputs). `nohead plan` prints it; the manifest extends each entry with runner and system.
{ instances, validation }:
let
  strings = import ./strings.nix;

  /** Instance names a dependsOn entry stands for: a type name means all its instances. */
  resolveDependency = all: d: map (i: i.name) (builtins.filter (i: i.baseName == d || i.name == d) all);

  /** The JSON-able description of one instance. */
  describe =
    all: i:
    {
      inherit (i) name baseName index username forwards secrets host network restart;
      dependsOn = builtins.concatMap (resolveDependency all) i.type.dependsOn;
      health = {
        inherit (i.health) ssh tcp command initScript retries;
        intervalSeconds = i.health.interval;
        timeoutSeconds = i.health.timeout;
        deadlines = {
          startedSeconds = i.health.deadlines.started;
          bootedSeconds = i.health.deadlines.booted;
          readySeconds = i.health.deadlines.ready;
        };
      };
      initScript = instances.hasInitScript i.type;
      diskImage = i.hasDiskImage;
    };

  /** Throws every validation error at once, or returns `value`. */
  checked =
    configs: value:
    let
      errors = validation.errorsOf configs;
    in
    if errors == [ ] then
      value
    else
      throw "nohead: the configuration has ${toString (builtins.length errors)} problem(s):\n${strings.join "\n" (map (e: "  - ${e}") errors)}";
in
rec {
  /**
    The validated instances of a configs attrset (see instances.nix), each with `dependsOn`
    resolved to instance names and `plan`, its JSON-able description.
  */
  machinesOf =
    configs:
    checked configs (
      let
        all = instances.expandConfigs configs;
      in
      map (i: i // { plan = describe all i; }) all
    );

  /**
    The plan of a configs attrset: { schemaVersion, network, machines }.
    Never forces `pkgs`, nixos-config or the contents of any path.

    Example: planOf { db = { }; } => { schemaVersion = 1; machines = [ { name = "db"; … } ]; … }
  */
  planOf = configs: {
    schemaVersion = 1;
    network = {
      inherit (import ./network.nix) subnet;
    };
    machines = map (m: m.plan) (machinesOf configs);
  };
}
