# `count` makes several machines of one type; `customArgs` passes values from flake.nix (or, with
# `nohead build -f`, from custom-args.nix beside this file or `--custom-args FILE`) into this file.
{ pkgs, customArgs, ... }:
let
  # One script for every machine: each writes what it knows about itself into its home directory.
  # (init.script is read while planning, so it may use customArgs but not pkgs; reach programs
  # through PATH, which holds every package in environment.systemPackages.)
  report = ''
    echo "$MACHINE_NAME" > ~/machine_name.txt          # hemisphere-1, hemisphere-2, earth
    echo "$MACHINE_BASE_NAME" > ~/machine_base_name.txt # hemisphere, hemisphere, earth
    echo "$MACHINE_INDEX" > ~/machine_index.txt        # 1, 2, 1
    echo "$MACHINE_TYPE" > ~/machine_type.txt          # virtual (image in a disk image)
    echo "${customArgs.greeting}" > ~/greeting.txt

    # Each type installs a different tool; `|| true` because the others are missing on purpose.
    echo '{"scale": 10}' | jq .scale > ~/jq-output.txt 2>&1 || true
    echo "only on earth" | bat --plain > ~/bat-output.txt 2>&1 || true
  '';
in
{
  # Two instances: hemisphere-1 and hemisphere-2.
  hemisphere = {
    count = 2;
    init.script = report;
    nixos-config = {
      environment.systemPackages = [ pkgs.jq ];
    };
  };

  # count = 1 (the default): the machine is just `earth`.
  earth = {
    init.script = report;
    nixos-config = {
      environment.systemPackages = [ pkgs.bat ];
    };
  };

  # count = 0 switches a type off without deleting it: no machine, nothing built.
  flat = {
    count = 0;
    nixos-config = {
      environment.systemPackages = [ pkgs.yq ];
    };
  };
}
