# An FHS environment for pip: `python-fhs` starts bash (or `python-fhs -c '…'` runs a command) in a
# namespace that looks like a usual Linux distribution, so wheels that expect /usr/lib, a C
# compiler or zlib work. It also provides `venv-setup DIR [REQUIREMENTS]`, which creates a venv in
# DIR when missing and installs the requirements into it.
{ pkgs }:
let
  venvSetup = pkgs.writeShellScriptBin "venv-setup" ''
    set -eu
    if [ $# -lt 1 ] || [ $# -gt 2 ]; then
      echo "usage: venv-setup DIR [REQUIREMENTS_FILE]" >&2
      exit 2
    fi
    dir=$1
    if [ ! -x "$dir/bin/python" ]; then
      echo "creating a venv in $dir"
      python -m venv "$dir"
    fi
    if [ $# -eq 2 ]; then
      "$dir/bin/pip" install --requirement "$2"
    fi
    echo "venv ready: source $dir/bin/activate"
  '';
in
pkgs.buildFHSEnv {
  name = "python-fhs";
  targetPkgs = p: [
    p.python3
    p.python3Packages.pip
    p.gcc
    p.zlib
    p.stdenv.cc.cc.lib
    venvSetup
  ];
  runScript = "bash";
  extraOutputsToInstall = [ "dev" ];
}
