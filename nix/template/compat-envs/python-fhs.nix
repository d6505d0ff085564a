# An FHS environment for pip, where no-headache projects have it (compat-envs/python-fhs.nix, used
# as `python-fhs -c 'init-python-venv -r requirements.txt'`). `python-fhs` starts bash in a
# namespace that looks like a usual Linux distribution (/usr/lib, /lib64/ld-linux…), and
# `python-fhs -c '…'` runs a command there, so binary wheels from PyPI find the system libraries
# they link against: nixpkgs' appimageTools.defaultFhsEnvArgs libraries (X11, GL, glib, zlib,
# openssl, nss, SDL2, …: its `multiPkgs`, kept as no-headache kept them) plus glibc, gcc, zlib and
# libstdc++. Commands inside:
#
#   init-python-venv [-r FILE]   no-headache's: ./venv (created when missing), FILE pip-installed
#   venv-setup DIR [FILE]        the same in DIR
#
# Add Python packages from nixpkgs to the `withPackages` list below, or list them in a
# requirements.txt. Example (in configs.nix):
#   nixos-config.environment.systemPackages = [ (import ./compat-envs/python-fhs.nix { inherit pkgs; }) ];
{
  pkgs ? import <nixpkgs> { },
}:
let
  base = pkgs.appimageTools.defaultFhsEnvArgs;
  initPythonVenv = pkgs.writeShellScriptBin "init-python-venv" (builtins.readFile ./init-python-venv.sh);
  venvSetup = pkgs.writeShellScriptBin "venv-setup" (builtins.readFile ./venv-setup.sh);
in
pkgs.buildFHSEnv (
  base
  // {
    name = "python-fhs";
    targetPkgs = p: [
      p.gcc
      p.glibc
      p.zlib
      p.stdenv.cc.cc.lib
      (p.python3.withPackages (ps: [
        # Python packages from nixpkgs (search.nixos.org, names without the python3Packages. prefix)
      ]))
      p.python3Packages.pip
      initPythonVenv
      venvSetup
    ];
    runScript = "bash";
    extraOutputsToInstall = [ "dev" ];
  }
)
