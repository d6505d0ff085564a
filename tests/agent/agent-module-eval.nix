# Evaluates nix/modules/agent.nix without nixpkgs (not available offline): the few nixpkgs `lib`
# functions it uses, written here with builtins and the same semantics, and the option defaults
# merged under `settings` the way the module system would for these flat options.
{ settings }:
let
  stubType = name: { inherit name; };
  lib = rec {
    mkEnableOption = description: {
      _type = "option";
      default = false;
      inherit description;
    };
    mkOption = attrs: { _type = "option"; } // attrs;
    mkIf = condition: content: {
      _type = "if";
      inherit condition content;
    };
    types = {
      package = stubType "package";
      str = stubType "str";
      bool = stubType "bool";
      strMatching = regex: (stubType "strMatching") // { inherit regex; };
      nullOr = t: (stubType "nullOr") // { inner = t; };
    };
    literalExpression = text: {
      _type = "literalExpression";
      inherit text;
    };
    last = list: builtins.elemAt list (builtins.length list - 1);
    splitString =
      sep: s: builtins.filter builtins.isString (builtins.split (builtins.replaceStrings [ "." ] [ "\\." ] sep) s);
    hasPrefix = prefix: s: builtins.substring 0 (builtins.stringLength prefix) s == prefix;
    hasSuffix =
      suffix: s:
      let
        n = builtins.stringLength s;
        m = builtins.stringLength suffix;
      in
      n >= m && builtins.substring (n - m) m s == suffix;
    removePrefix =
      prefix: s:
      if hasPrefix prefix s then builtins.substring (builtins.stringLength prefix) (-1) s else s;
    removeSuffix =
      suffix: s:
      if hasSuffix suffix s then builtins.substring 0 (builtins.stringLength s - builtins.stringLength suffix) s else s;
    toInt = s: builtins.fromJSON s;
    optional = cond: x: if cond then [ x ] else [ ];
    optionals = cond: xs: if cond then xs else [ ];
    optionalAttrs = cond: attrs: if cond then attrs else { };
    escapeShellArg =
      arg: if builtins.match "[[:alnum:],._+:@%/-]+" arg != null then arg else "'${builtins.replaceStrings [ "'" ] [ "'\\''" ] arg}'";
    escapeShellArgs = args: builtins.concatStringsSep " " (map escapeShellArg args);
  };

  defaultsOf =
    options:
    builtins.mapAttrs (
      _: o: if (o._type or null) == "option" then o.default or (throw "no default") else defaultsOf o
    ) options;
  module = import ../../nix/modules/agent.nix;
  evaluate =
    cfg:
    module {
      inherit lib;
      config = {
        services.nohead-agent = cfg;
        nix.package = "/nix/store/nix";
      };
      pkgs = {
        openssh = "/nix/store/openssh";
        coreutils = "/nix/store/coreutils";
      };
    };
  declared = (evaluate { }).options.services.nohead-agent;
  # `package` and `tokenFile` have no default: the settings give them.
  defaults = builtins.mapAttrs (
    n: o: if n == "package" || n == "tokenFile" then null else if n == "tls" then defaultsOf o else o.default
  ) declared;
  cfg = defaults // settings // { tls = defaults.tls // (settings.tls or { }); };
  result = evaluate cfg;
  config = result.config.content;
in
{
  optionNames = builtins.attrNames declared;
  enabled = result.config.condition;
  failedAssertions = map (a: a.message) (builtins.filter (a: !a.assertion) config.assertions);
  inherit (config) networking users;
  agent = config.systemd.services.nohead-agent;
  vms = config.systemd.services.nohead-agent-vms;
}
