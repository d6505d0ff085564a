# Tests of the pure library in nixpkgs' `lib.runTests` style, without nixpkgs: evaluates to the
# list of failures ([] when all pass). Run: nix-instantiate --eval --strict --json nix/lib/tests.nix
let
  lib = import ./.;
  throwingPkgs = throw "pkgs must not be forced while planning";
  namesOf = configs: map (m: m.name) (lib.planOf configs).machines;
  machine = configs: name: builtins.head (builtins.filter (m: m.name == name) (lib.planOf configs).machines);
  forward = m: fname: builtins.head (builtins.filter (f: f.name == fname) m.forwards);
  fails = v: !(builtins.tryEval (builtins.deepSeq v v)).success;

  # mkFleet with stand-ins: a runner per type whose resources are its count, a result that is its
  # arguments (so tests read the manifest and the paths it was given).
  fleetResult =
    configs:
    lib.mkFleet {
      inherit configs;
      mkRunner = t: _machines: {
        runner = "/runner/${t.baseName}";
        system = "/system/${t.baseName}";
        drv.drvPath = "/drv/${t.baseName}";
        resources = { cores = t.count; memoryMiB = t.count; };
      };
      mkResult = args: args // { paths = map (d: d.drvPath) args.paths; };
    };
  fleetOf =
    configs:
    let
      r = fleetResult configs;
    in
    {
      inherit (r) paths;
      inherit (r.nohead) drvPaths;
      machines = map (m: { inherit (m) name runner system resources; }) r.manifest.machines;
    };

  tests = {
    testCountZeroDisablesType = {
      expr = namesOf { off = { count = 0; }; on = { }; };
      expected = [ "on" ];
    };
    testCountOneKeepsBareName = {
      expr = namesOf { db = { }; };
      expected = [ "db" ];
    };
    testCountManyNumbersInstances = {
      expr = namesOf { web = { count = 3; }; };
      expected = [ "web-1" "web-2" "web-3" ];
    };
    testIndexAndBaseName = {
      expr = let m = machine { web = { count = 2; }; } "web-2"; in { inherit (m) index baseName; };
      expected = { index = 2; baseName = "web"; };
    };
    testDefaultUsername = {
      expr = (machine { a = { }; } "a").username;
      expected = "nixy";
    };
    testSshPortsCountUp = {
      expr = map (n: (forward (machine { web = { count = 3; firstHostSshPort = 2200; }; } n) "ssh").hostPort) [ "web-1" "web-2" "web-3" ];
      expected = [ 2200 2201 2202 ];
    };
    testNoPortsMeansAllocatedAtRunTime = {
      expr = (forward (machine { a = { }; } "a") "ssh").hostPort;
      expected = null;
    };
    testForwardsBindLoopbackByDefault = {
      expr = (forward (machine { a = { forwardPorts = [ { guestPort = 80; hostPort = 8080; } ]; }; } "a") "tcp-80");
      expected = { name = "tcp-80"; protocol = "tcp"; guestPort = 80; hostPort = 8080; hostAddress = "127.0.0.1"; };
    };
    testForwardHostPortCountsUpPerInstance = {
      expr = (forward (machine { w = { count = 2; forwardPorts = [ { name = "http"; guestPort = 80; hostPort = 8080; } ]; }; } "w-2") "http").hostPort;
      expected = 8081;
    };
    testDependsOnTypeExpandsToInstances = {
      expr = (machine { db = { count = 2; }; app = { dependsOn = [ "db" ]; }; } "app").dependsOn;
      expected = [ "db-1" "db-2" ];
    };
    testDependsOnInstanceName = {
      expr = (machine { db = { count = 2; }; app = { dependsOn = [ "db-2" ]; }; } "app").dependsOn;
      expected = [ "db-2" ];
    };
    testMissingPathIsNotRead = {
      expr = (builtins.head (machine { a = { tailscaleAuthKeyFile = ./does/not/exist; copyToHome."x" = ./nor/this; }; } "a").secrets).hostPath;
      expected = toString ./does/not/exist;
    };
    testSecretPathNeverCopiedToStore = {
      expr = builtins.hasContext (builtins.head (machine { a = { secrets.key = ./secret; }; } "a").secrets).hostPath;
      expected = false;
    };
    testThrowingPkgsIsNotForced = {
      expr = namesOf ((
        { pkgs, customArgs, ... }:
        {
          a = { nixos-config = { environment.systemPackages = [ pkgs.hello ]; }; init.script = customArgs.greeting; };
        }
      ) { pkgs = throwingPkgs; customArgs = { greeting = "hi"; }; });
      expected = [ "a" ];
    };
    testPrivateAddressesAreStableAndDistinct = {
      expr = map (m: m.network.address) (lib.planOf { a = { }; b = { count = 2; }; }).machines;
      expected = [ "10.213.0.10" "10.213.0.11" "10.213.0.12" ];
    };
    testPrivateNetworkCanBeOff = {
      expr = (machine { a = { privateNetwork = false; }; } "a").network;
      expected = null;
    };
    testAddressCrossesOctet = {
      expr = [ (lib.network.addressOf 246) (lib.network.macOf 246) ];
      expected = [ "10.213.1.0" "52:54:00:d5:01:00" ];
    };
    testInitScriptHealthDefaultsFromScript = {
      expr = [ (machine { a = { init.script = "echo hi"; }; } "a").health.initScript (machine { b = { }; } "b").health.initScript ];
      expected = [ true false ];
    };
    testHealthDeadlinesMerge = {
      expr = (machine { a = { health.deadlines.ready = 42; }; } "a").health.deadlines;
      expected = { startedSeconds = 30; bootedSeconds = 300; readySeconds = 42; };
    };
    testHealthWatchDefaults = {
      expr = let h = (machine { a = { }; } "a").health; in { inherit (h) intervalSeconds timeoutSeconds retries; };
      expected = { intervalSeconds = 30; timeoutSeconds = 10; retries = 3; };
    };
    testHealthWatchOverride = {
      expr = let h = (machine { a = { health = { interval = 5; timeout = 2; retries = 1; }; }; } "a").health; in { inherit (h) intervalSeconds timeoutSeconds retries; };
      expected = { intervalSeconds = 5; timeoutSeconds = 2; retries = 1; };
    };
    testRestartDefaultsToNo = {
      expr = [ (machine { a = { }; } "a").restart (machine { b = { restart = "on-failure"; }; } "b").restart ];
      expected = [ "no" "on-failure" ];
    };
    testErrorRestartSuggests = {
      expr = lib.errorsOf { a = { restart = "onfailure"; }; b = { restart = true; }; };
      expected = [
        ''machine "a": restart must be "no", "on-failure" or "always", got "onfailure" (did you mean "on-failure"?)''
        ''machine "b": restart must be "no", "on-failure" or "always", got true''
      ];
    };
    testErrorHealthWatchValues = {
      expr = lib.errorsOf { a = { health = { interval = 0; timeout = "5"; retries = 0; intervall = 3; }; }; };
      expected = [
        ''machine "a": unknown option "health.intervall" (did you mean "health.interval"?); known: ssh, tcp, command, initScript, interval, timeout, retries, deadlines''
        ''machine "a": health.interval must be a positive number of seconds, got 0''
        ''machine "a": health.timeout must be a positive number of seconds, got "5"''
        ''machine "a": health.retries must be a positive integer (failing runs in a row before unhealthy), got 0''
      ];
    };
    testErrorCountNegative = {
      expr = lib.errorsOf { web = { count = -1; }; };
      expected = [ ''machine "web": count must be a non-negative integer, got -1'' ];
    };
    testErrorUnknownOptionSuggests = {
      expr = lib.errorsOf { web = { cont = 2; }; };
      expected = [ ''machine "web": unknown option "cont" (did you mean "count"?); see docs/configuration.md for the options'' ];
    };
    testErrorBadHostname = {
      expr = lib.errorsOf { "_web" = { }; "web.1" = { }; };
      expected = [
        ''machine "_web": the name is not a valid hostname (letters, digits, dashes and underscores, at most 63, starting and ending with a letter or digit)''
        ''machine "web.1": the name is not a valid hostname (letters, digits, dashes and underscores, at most 63, starting and ending with a letter or digit)''
      ];
    };
    # NixOS's networking.hostName allows `_` inside; no-headache used machine names as host names.
    testUnderscoreNamesPlan = {
      expr = [ (lib.errorsOf { my_vm = { count = 2; }; db_1 = { }; }) (namesOf { my_vm = { count = 2; }; }) ];
      expected = [ [ ] [ "my_vm-1" "my_vm-2" ] ];
    };
    testErrorUsernameIsAnOption = {
      expr = lib.errorsOf { a = { username = "-oProxyCommand=x"; }; };
      expected = [ ''machine "a": username must be a valid user name (lowercase letters, digits, _ and -), got "-oProxyCommand=x"'' ];
    };
    testErrorPortClash = {
      expr = lib.errorsOf { a = { count = 2; firstHostSshPort = 2200; }; b = { firstHostSshPort = 2201; }; };
      expected = [ ''host port 2201/tcp is used by both "a-2" (forward "ssh") and "b" (forward "ssh"); change one of them or set it to null (allocated at run time)'' ];
    };
    testErrorHostNameClash = {
      expr = lib.errorsOf { my_vm = { }; myvm = { }; a_b = { count = 2; }; ab = { count = 0; }; };
      expected = [ ''machines "my_vm" and "myvm" would both run with the host name "myvm" (host names drop "_"); rename one of them'' ];
    };
    testErrorUnknownDependency = {
      expr = lib.errorsOf { a = { dependsOn = [ "bb" ]; }; b = { }; };
      expected = [ ''machine "a": dependsOn names "bb", which is not a machine of this configuration; known: a, b'' ];
    };
    testErrorCycle = {
      expr = lib.errorsOf { a = { dependsOn = [ "b" ]; }; b = { dependsOn = [ "c" ]; }; c = { dependsOn = [ "a" ]; }; };
      expected = [ "dependsOn has a cycle: a -> b -> c -> a" ];
    };
    testErrorSelfDependency = {
      expr = lib.errorsOf { a = { dependsOn = [ "a" ]; }; };
      expected = [ ''machine "a": dependsOn names itself'' ];
    };
    testErrorHealthPortWithoutForward = {
      expr = lib.errorsOf { a = { health.tcp = [ 80 ]; }; };
      expected = [ ''machine "a": health.tcp checks guest port 80, which has no forward; add { guestPort = 80; } to forwardPorts'' ];
    };
    # no-headache's `diskImage = { }` keeps working: make-disk-image's own default format.
    testEmptyDiskImageIsValid = {
      expr = [ (lib.errorsOf { a = { diskImage = { }; }; }) lib.diskImageDefaults.format (machine { a = { diskImage = { }; }; } "a").diskImage ];
      expected = [ [ ] "raw" true ];
    };
    testErrorDiskImageFormatNotString = {
      expr = lib.errorsOf { a = { diskImage.format = 2; }; };
      expected = [ ''machine "a": diskImage.format must be a string such as "qcow2" or "raw", got 2'' ];
    };
    testEscapeSystemdPath = {
      expr = map lib.systemd.escapeSystemdPath [ "nohead0" "nohead-0" "/" "/foo//bar/baz/" ".x/y z" "a:b_c.d" "~/.ssh" "./x/./y" ];
      expected = [ "nohead0" "nohead\\x2d0" "-" "foo-bar-baz" "\\x2ex-y\\x20z" "a:b_c.d" "\\x7e-.ssh" "x-y" ];
    };
    testEscapeSystemdPathRefusesDotDot = {
      expr = fails (lib.systemd.escapeSystemdPath "a/../b");
      expected = true;
    };
    testNetDeviceUnitEscapesDashes = {
      expr = lib.systemd.netDeviceUnit "priv-0";
      expected = "sys-subsystem-net-devices-priv\\x2d0.device";
    };
    testErrorRelativeSecret = {
      expr = lib.errorsOf { a = { secrets.k = "rel/path"; }; };
      expected = [ ''machine "a": secrets.k must be a path or an absolute path string (it is read on the host at run time, never copied to the Nix store), got "rel/path"'' ];
    };
    testInitScriptUsingPkgsStillPlans = {
      expr = (machine ((
        { pkgs, ... }:
        { a = { init.script = "${pkgs.hello}/bin/hello"; }; }
      ) { pkgs = throwingPkgs; })
      "a").initScript;
      expected = true;
    };
    testErrorHealthUnknownFieldAndBadDeadline = {
      expr = lib.errorsOf { a = { health = { sssh = true; deadlines.ready = -1; }; }; };
      expected = [
        ''machine "a": unknown option "health.sssh" (did you mean "health.ssh"?); known: ssh, tcp, command, initScript, interval, timeout, retries, deadlines''
        ''machine "a": health.deadlines.ready must be a positive number of seconds, got -1''
      ];
    };
    testErrorUnknownNestedOption = {
      expr = lib.errorsOf { a = { init.scrpt = "echo hi"; health.deadlines.redy = 5; }; };
      expected = [
        ''machine "a": unknown option "init.scrpt" (did you mean "init.script"?); known: script''
        ''machine "a": unknown option "health.deadlines.redy" (did you mean "health.deadlines.ready"?); known: started, booted, ready''
      ];
    };
    testErrorReservedSecretName = {
      expr = lib.errorsOf { a = { secrets."nohead.x" = /abs; }; };
      expected = [ ''machine "a": secret name "nohead.x" is reserved by nohead; pick another'' ];
    };
    testPlanThrowsAllErrors = {
      expr = fails (lib.planOf { a = { count = -1; }; });
      expected = true;
    };
    testValidConfigHasNoErrors = {
      expr = lib.errorsOf { a = { count = 2; firstHostSshPort = 2000; forwardPorts = [ { guestPort = 80; hostPort = null; protocol = "udp"; } ]; }; };
      expected = [ ];
    };
    testFindCycleAcyclic = {
      expr = lib.graph.findCycle { a = [ "b" ]; b = [ ]; c = [ "a" "b" ]; };
      expected = null;
    };
    testMachineTypesGroupInstances = {
      expr = map (t: {
        inherit (t) baseName count privateMacs;
        names = map (m: m.name) t.instances;
      }) (lib.machineTypesOf (lib.machinesOf { web = { count = 3; }; db = { privateNetwork = false; }; }));
      expected = [
        { baseName = "db"; count = 1; names = [ "db" ]; privateMacs = [ ]; }
        { baseName = "web"; count = 3; names = [ "web-1" "web-2" "web-3" ]; privateMacs = [ "52:54:00:d5:00:0b" "52:54:00:d5:00:0c" "52:54:00:d5:00:0d" ]; }
      ];
    };
    testMachineTypeForwardsKeepOnlyTheGuestSide = {
      expr = (builtins.head (lib.machineTypesOf (lib.machinesOf { web = { count = 2; firstHostSshPort = 2200; }; }))).guestForwards;
      expected = [ { name = "ssh"; protocol = "tcp"; guestPort = 22; } ];
    };
    testFleetOneRunnerPerTypeSharedByItsInstances = {
      expr = fleetOf { web = { count = 3; }; db = { }; };
      expected = {
        paths = [ "/drv/db" "/drv/web" ];
        machines = [
          { name = "db"; runner = "/runner/db"; system = "/system/db"; resources = { cores = 1; memoryMiB = 1; }; }
          { name = "web-1"; runner = "/runner/web"; system = "/system/web"; resources = { cores = 3; memoryMiB = 3; }; }
          { name = "web-2"; runner = "/runner/web"; system = "/system/web"; resources = { cores = 3; memoryMiB = 3; }; }
          { name = "web-3"; runner = "/runner/web"; system = "/system/web"; resources = { cores = 3; memoryMiB = 3; }; }
        ];
        drvPaths = { db = "/drv/db"; web-1 = "/drv/web"; web-2 = "/drv/web"; web-3 = "/drv/web"; };
      };
    };
    testFleetSubsetKeepsTheTypesOfItsMachines = {
      expr = let r = (fleetResult { web = { count = 3; }; db = { }; }).nohead.subset [ "web-2" ]; in {
        inherit (r) paths;
        names = map (m: m.name) r.manifest.machines;
      };
      expected = { paths = [ "/drv/web" ]; names = [ "web-2" ]; };
    };
    testManifestWithoutResourcesLeavesThemOut = {
      expr = (builtins.head (lib.manifestOf {
        machines = lib.machinesOf { a = { }; };
        runners.a = { runner = "/r"; system = "/s"; };
      }).machines) ? resources;
      expected = false;
    };
    testDistance = {
      expr = [ (lib.strings.distance "cont" "count") (lib.strings.distance "" "abc") (lib.strings.distance "kitten" "sitting") ];
      expected = [ 1 3 3 ];
    };
  };
in
builtins.concatMap (
  name:
  let
    t = tests.${name};
  in
  if t.expr == t.expected then [ ] else [ { inherit name; inherit (t) expected; result = t.expr; } ]
) (builtins.attrNames tests)
