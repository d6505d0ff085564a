# Checks a configs attrset and returns every problem as a message that names the machine and the
# option. Used by plan.nix (which throws them all at once) and by the NixOS build (assertions).
{ options }:
let
  strings = import ./strings.nix;
  graph = import ./graph.nix;
  instances = import ./instances.nix { inherit options; };
  inherit (strings) show join;

  isPort = p: builtins.isInt p && p >= 1 && p <= 65535;
  isPortOrNull = p: p == null || isPort p;
  check = cond: msg: if cond then [ ] else [ msg ];

  /**
    One message per field of the nested option `path` that is not in `known`, with the closest
    known field as a suggestion.

    Example: unknownNested ''machine "a"'' "init" [ "script" ] { scrpt = ""; }
      => [ "machine \"a\": unknown option \"init.scrpt\" (did you mean \"init.script\"?); known: script" ]
  */
  unknownNested =
    where: path: known: value:
    map (
      n:
      let
        c = strings.closest n known;
      in
      ''${where}: unknown option "${path}.${n}"${
        if c == null then "" else " (did you mean \"${path}.${c}\"?)"
      }; known: ${join ", " known}''
    ) (builtins.filter (n: !(builtins.elem n known)) (builtins.attrNames value));

  /** " (did you mean \"x\"?)" when `word` is close to one of `candidates`, else "". */
  valueHint = word: candidates: let c = strings.closest word candidates; in if c == null then "" else " (did you mean \"${c}\"?)";

  /** Problems of one forwardPorts entry of machine type `m`. */
  forwardErrors =
    m: i: f:
    let
      where = ''machine "${m}": forwardPorts entry ${toString i}'';
      full = options.forwardDefaults // f;
      unknown = builtins.filter (n: !(builtins.elem n [ "name" "protocol" "guestPort" "hostPort" "hostAddress" ])) (
        builtins.attrNames f
      );
    in
    if !builtins.isAttrs f then
      [ "${where} must be an attribute set like { guestPort = 80; hostPort = 8080; }, got ${show f}" ]
    else
      map (n: ''${where} has an unknown field "${n}"; known: name, protocol, guestPort, hostPort, hostAddress'') unknown
      ++ check (f ? guestPort && isPort f.guestPort) "${where}: guestPort must be a port (1-65535), got ${
        show (f.guestPort or null)
      }"
      ++ check (isPortOrNull full.hostPort) "${where}: hostPort must be a port (1-65535) or null (allocated at run time), got ${show full.hostPort}"
      ++ check (builtins.elem full.protocol [
        "tcp"
        "udp"
      ]) ''${where}: protocol must be "tcp" or "udp", got ${show full.protocol}''
      ++ check (full.name == null || builtins.match "[a-z0-9][a-z0-9-]*" full.name != null) "${where}: name must be lowercase letters, digits and dashes, got ${show full.name}"
      ++ check (builtins.isString full.hostAddress && builtins.match "[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+" full.hostAddress != null) "${where}: hostAddress must be an IPv4 address such as \"127.0.0.1\", got ${show full.hostAddress}";

  /** Problems of machine type `m` on its own (before expansion). */
  typeErrors =
    m: raw:
    let
      where = ''machine "${m}"'';
      t = instances.withDefaults raw;
      unknown = builtins.filter (n: !(builtins.elem n options.knownOptions)) (builtins.attrNames raw);
      hint = n: valueHint n options.knownOptions;
      countOk = builtins.isInt t.count && t.count >= 0;
      longest = if countOk && t.count > 1 then "${m}-${toString t.count}" else m;
    in
    if !builtins.isAttrs raw then
      [ "${where} must be an attribute set of options, got ${show raw}" ]
    else
      map (n: ''${where}: unknown option "${n}"${hint n}; see docs/configuration.md for the options'') unknown
      ++ (if builtins.isAttrs (raw.init or { }) then unknownNested where "init" [ "script" ] (raw.init or { }) else [ ])
      ++ check (strings.isHostnameLabel m) "${where}: the name is not a valid hostname (letters, digits, dashes and underscores, at most 63, starting and ending with a letter or digit)"
      ++ check countOk "${where}: count must be a non-negative integer, got ${show t.count}"
      ++ check (!countOk || !strings.isHostnameLabel m || strings.isHostnameLabel longest) "${where}: instance name \"${longest}\" is longer than 63 characters; shorten the machine name"
      ++ check (strings.isUserName t.username) "${where}: username must be a valid user name (lowercase letters, digits, _ and -), got ${show t.username}"
      ++ check (isPortOrNull t.firstHostSshPort) "${where}: firstHostSshPort must be a port (1-65535) or null, got ${show t.firstHostSshPort}"
      ++ check (
        !countOk || t.firstHostSshPort == null || !builtins.isInt t.firstHostSshPort || t.firstHostSshPort + t.count - 1 <= 65535
      ) "${where}: firstHostSshPort ${show t.firstHostSshPort} + count ${toString t.count} runs past port 65535"
      ++ check (
        let
          r = builtins.tryEval (builtins.isString t.init.script);
        in
        !r.success || r.value
      ) "${where}: init.script must be a string, got ${show t.init.script}"
      ++ check (builtins.isAttrs t.copyToHome) "${where}: copyToHome must be an attribute set { \"dest/in/home\" = ./host/path; }, got ${show t.copyToHome}"
      ++ check (t.diskImage == null || builtins.isAttrs t.diskImage) "${where}: diskImage must be null or an attribute set of make-disk-image parameters (for example { format = \"qcow2\"; }), got ${show t.diskImage}"
      ++ check (!(builtins.isAttrs t.diskImage) || builtins.isString (t.diskImage.format or options.diskImageDefaults.format)) "${where}: diskImage.format must be a string such as \"qcow2\" or \"raw\", got ${show (t.diskImage.format or null)}"
      ++ check (builtins.isAttrs t.nixos-config || builtins.isFunction t.nixos-config) "${where}: nixos-config must be a NixOS module (an attribute set or a function), got ${show t.nixos-config}"
      ++ check (builtins.isAttrs t.nixos-config-virt || builtins.isFunction t.nixos-config-virt) "${where}: nixos-config-virt must be a NixOS module (an attribute set or a function), got ${show t.nixos-config-virt}"
      ++ check (t.host == null || builtins.isString t.host) "${where}: host must be null or the name of a host in the hosts file, got ${show t.host}"
      ++ check (builtins.isBool t.privateNetwork) "${where}: privateNetwork must be true or false, got ${show t.privateNetwork}"
      ++ check (
        t.tailscaleAuthKeyFile == null || builtins.isPath t.tailscaleAuthKeyFile || (builtins.isString t.tailscaleAuthKeyFile && builtins.substring 0 1 t.tailscaleAuthKeyFile == "/")
      ) "${where}: tailscaleAuthKeyFile must be a path or an absolute path string, got ${show t.tailscaleAuthKeyFile}"
      ++ (
        if !builtins.isAttrs t.secrets then
          [ "${where}: secrets must be an attribute set { name = ./path/to/file; }, got ${show t.secrets}" ]
        else
          builtins.concatMap (
            n:
            let
              v = t.secrets.${n};
            in
            check (builtins.match "[A-Za-z0-9_.-]+" n != null) "${where}: secret name \"${n}\" may only hold letters, digits, _ . and -"
            ++ check (builtins.stringLength n <= 28) "${where}: secret name \"${n}\" is longer than 28 characters (QEMU's fw_cfg names are limited)"
            ++ check (n != "tailscale-authkey" && builtins.substring 0 7 n != "nohead.") "${where}: secret name \"${n}\" is reserved by nohead; pick another"
            ++ check (builtins.isPath v || (builtins.isString v && builtins.substring 0 1 v == "/")) "${where}: secrets.${n} must be a path or an absolute path string (it is read on the host at run time, never copied to the Nix store), got ${show v}"
          ) (builtins.attrNames t.secrets)
      )
      ++ (
        if !builtins.isList t.forwardPorts then
          [ "${where}: forwardPorts must be a list of { guestPort; hostPort; protocol; }, got ${show t.forwardPorts}" ]
        else
          builtins.concatLists (builtins.genList (i: forwardErrors m (i + 1) (builtins.elemAt t.forwardPorts i)) (builtins.length t.forwardPorts))
      )
      ++ check (builtins.isList t.dependsOn && builtins.all builtins.isString t.dependsOn) "${where}: dependsOn must be a list of machine names, got ${show t.dependsOn}"
      ++ check (builtins.isAttrs t.health) "${where}: health must be an attribute set, got ${show t.health}"
      ++ (
        if builtins.isAttrs (raw.health or { }) then
          unknownNested where "health" options.healthFields (raw.health or { })
        else
          [ ]
      )
      ++ builtins.concatMap (
        n:
        check (builtins.isAttrs t.health && (builtins.isInt t.health.${n} || builtins.isFloat t.health.${n}) && t.health.${n} > 0) "${where}: health.${n} must be a positive number of seconds, got ${show (t.health.${n} or null)}"
      ) [ "interval" "timeout" ]
      ++ check (builtins.isAttrs t.health && builtins.isInt t.health.retries && t.health.retries >= 1) "${where}: health.retries must be a positive integer (failing runs in a row before unhealthy), got ${show (t.health.retries or null)}"
      ++ check (builtins.elem t.restart options.restartPolicies) "${where}: restart must be \"no\", \"on-failure\" or \"always\", got ${show t.restart}${
        if builtins.isString t.restart then valueHint t.restart options.restartPolicies else ""
      }"
      ++ check (builtins.isBool t.health.ssh) "${where}: health.ssh must be true or false, got ${show t.health.ssh}"
      ++ check (t.health.initScript == null || builtins.isBool t.health.initScript) "${where}: health.initScript must be null (automatic), true or false, got ${show t.health.initScript}"
      ++ (
        let
          d = raw.health.deadlines or { };
        in
        if !builtins.isAttrs d then
          [ "${where}: health.deadlines must be { started = seconds; booted = seconds; ready = seconds; }, got ${show d}" ]
        else
          unknownNested where "health.deadlines" [ "started" "booted" "ready" ] d
          ++ builtins.concatMap (
            n: check ((builtins.isInt d.${n} || builtins.isFloat d.${n}) && d.${n} > 0) "${where}: health.deadlines.${n} must be a positive number of seconds, got ${show d.${n}}"
          ) (builtins.filter (n: builtins.elem n [ "started" "booted" "ready" ]) (builtins.attrNames d))
      )
      ++ check (builtins.isAttrs t.health && builtins.isList t.health.tcp && builtins.all isPort t.health.tcp) "${where}: health.tcp must be a list of guest ports, got ${show (t.health.tcp or null)}"
      ++ check (builtins.isAttrs t.health && (t.health.command == null || builtins.isString t.health.command)) "${where}: health.command must be null or a shell command string, got ${show (t.health.command or null)}";

  /** Problems that need the whole expanded fleet: host ports, dependsOn names, cycles. */
  fleetErrors =
    configs: all:
    let
      names = map (i: i.name) all;
      typeNames = builtins.attrNames configs;
      # Every fixed host port with who uses it; the first user of a port wins, the rest are reported.
      bound = builtins.concatMap (
        i:
        map (f: {
          key = "${f.protocol}:${toString f.hostPort}";
          who = ''"${i.name}" (forward "${f.name}")'';
          inherit (f) hostPort protocol;
        }) (builtins.filter (f: f.hostPort != null) i.forwards)
      ) all;
      portClashes =
        (builtins.foldl' (
          acc: b:
          if acc.seen ? ${b.key} then
            acc // { errors = acc.errors ++ [ "host port ${toString b.hostPort}/${b.protocol} is used by both ${acc.seen.${b.key}} and ${b.who}; change one of them or set it to null (allocated at run time)" ]; }
          else
            acc // { seen = acc.seen // { ${b.key} = b.who; }; }
        ) {
          seen = { };
          errors = [ ];
        } bound).errors;
      # systemd drops "_" from a host name (the runtime does the same for systemd.hostname=), so
      # my_vm and myvm would run as one host name: the first wins, the others are reported.
      hostNameClashes =
        (builtins.foldl' (
          acc: i:
          let
            key = builtins.replaceStrings [ "_" ] [ "" ] i.name;
          in
          if acc.seen ? ${key} then
            acc // { errors = acc.errors ++ [ ''machines "${acc.seen.${key}}" and "${i.name}" would both run with the host name "${key}" (host names drop "_"); rename one of them'' ]; }
          else
            acc // { seen = acc.seen // { ${key} = i.name; }; }
        ) {
          seen = { };
          errors = [ ];
        } all).errors;
      unknownDeps = builtins.concatMap (
        t:
        map (d: ''machine "${t}": dependsOn names "${d}", which is not a machine of this configuration; known: ${join ", " (typeNames ++ builtins.filter (n: !(builtins.elem n typeNames)) names)}'') (
          builtins.filter (d: !(builtins.elem d typeNames || builtins.elem d names)) (instances.withDefaults configs.${t}).dependsOn
        )
      ) typeNames;
      healthUnforwarded = builtins.concatMap (
        i:
        map (p: ''machine "${i.baseName}": health.tcp checks guest port ${toString p}, which has no forward; add { guestPort = ${toString p}; } to forwardPorts'') (
          builtins.filter (p: !(builtins.any (f: f.guestPort == p && f.protocol == "tcp") i.forwards)) i.health.tcp
        )
      ) (builtins.filter (i: i.index == 1) all);
      duplicateForwards = builtins.concatMap (
        i:
        let
          keys = map (f: "${f.protocol}:${toString f.guestPort}") i.forwards;
          fnames = map (f: f.name) i.forwards;
          dupes = l: builtins.filter (k: builtins.length (builtins.filter (x: x == k) l) > 1) l;
        in
        map (k: ''machine "${i.baseName}": guest port ${k} is forwarded twice'') (uniq (dupes keys))
        ++ map (n: ''machine "${i.baseName}": two forwards are named "${n}"; names must be unique'') (uniq (dupes fnames))
      ) (builtins.filter (i: i.index == 1) all);
      uniq = builtins.foldl' (acc: x: if builtins.elem x acc then acc else acc ++ [ x ]) [ ];
      selfDeps = builtins.concatMap (
        t: if builtins.elem t (instances.withDefaults configs.${t}).dependsOn then [ ''machine "${t}": dependsOn names itself'' ] else [ ]
      ) typeNames;
      cycle = graph.findCycle (builtins.listToAttrs (map (t: {
        name = t;
        value = map (d: let inst = builtins.filter (i: i.name == d) all; in if inst == [ ] then d else (builtins.head inst).baseName) (instances.withDefaults configs.${t}).dependsOn;
      }) typeNames));
    in
    portClashes
    ++ hostNameClashes
    ++ unknownDeps
    ++ selfDeps
    ++ healthUnforwarded
    ++ duplicateForwards
    ++ check (builtins.length all <= (import ./network.nix).capacity) "this configuration has ${toString (builtins.length all)} machines; the private network addresses at most ${toString (import ./network.nix).capacity}"
    ++ (if cycle == null || selfDeps != [ ] then [ ] else [ "dependsOn has a cycle: ${join " -> " cycle}" ]);
in
{
  /**
    Every problem of a configs attrset, as messages naming the machine and the option;
    [] when it is valid.

    Example: errorsOf { web = { count = -1; }; }
      => [ "machine \"web\": count must be a non-negative integer, got -1" ]
  */
  errorsOf =
    configs:
    if !builtins.isAttrs configs then
      [ "the configuration must evaluate to an attribute set of machines, got ${show configs}" ]
    else
      let
        perType = builtins.concatMap (m: typeErrors m configs.${m}) (builtins.attrNames configs);
      in
      if perType != [ ] then perType else fleetErrors configs (instances.expandConfigs configs);
}
