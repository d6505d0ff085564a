# The nohead CLI: the repository's TypeScript run by the pinned Bun (./bun.nix), with its
# production node_modules from a fixed-output derivation (./install-node-modules.sh, hash in
# ./pins.nix). The wrapper hands the runtime two store paths it cannot find by itself:
#
#   NOHEAD_PINNED_NIXPKGS  the nixpkgs this flake locks (flake.lock): what `nohead build -f`
#                          builds against instead of <nixpkgs> from NIX_PATH
#   NOHEAD_SOURCE          the nohead flake this package comes from: what `nohead init` writes
#                          as the new project's `nohead` input
#
# Both with --set-default, so a user's own value wins.
#
# Example (flake.nix):
#   pkgs.callPackage ./nix/package/nohead.nix {
#     bun = pkgs.callPackage ./nix/package/bun.nix { };
#     nixpkgsSource = nixpkgs.outPath;
#     noheadSource = self.outPath;
#   }
{
  lib,
  stdenvNoCC,
  makeWrapper,
  qemu,
  openssh,
  nix,
  bun,
  nixpkgsSource,
  noheadSource,
}:
let
  root = ../..;
  pins = import ./pins.nix;

  workspaceManifests =
    dir:
    map (name: dir + "/${name}/package.json") (
      builtins.filter (name: builtins.pathExists (dir + "/${name}/package.json")) (
        builtins.attrNames (builtins.readDir dir)
      )
    );

  # Fixed-output: may use the network (Bun resolves packages itself), must produce pins.nodeModulesHash.
  nodeModules = stdenvNoCC.mkDerivation {
    pname = "nohead-node-modules";
    version = "0.1.0";
    src = lib.fileset.toSource {
      inherit root;
      fileset = lib.fileset.unions (
        [
          (root + "/package.json")
          (root + "/bun.lock")
          (root + "/bunfig.toml")
        ]
        ++ workspaceManifests (root + "/apps")
        ++ workspaceManifests (root + "/libs")
      );
    };
    nativeBuildInputs = [ bun ];
    # Behind a proxy, Bun needs the user's proxy settings (as nixpkgs' fetchers and its Bun-built
    # packages pass them).
    impureEnvVars = lib.fetchers.proxyImpureEnvVars ++ [
      "GIT_PROXY_COMMAND"
      "SOCKS_SERVER"
    ];
    dontConfigure = true;
    dontInstall = true;
    buildPhase = ''
      runHook preBuild
      export HOME="$TMPDIR"
      bash ${./install-node-modules.sh} "$out"
      runHook postBuild
    '';
    dontFixup = true;
    outputHashMode = "recursive";
    outputHashAlgo = "sha256";
    outputHash = pins.nodeModulesHash;
  };
in
stdenvNoCC.mkDerivation {
  pname = "nohead";
  version = "0.1.0";
  src = lib.fileset.toSource {
    inherit root;
    fileset = lib.fileset.unions [
      (root + "/package.json")
      (root + "/bunfig.toml")
      (root + "/tsconfig.json")
      (root + "/apps")
      (root + "/libs")
      # nix/template and examples: what `nohead init` copies into a new project.
      (root + "/nix")
      (root + "/examples")
    ];
  };
  nativeBuildInputs = [ makeWrapper ];
  dontConfigure = true;
  dontBuild = true;
  installPhase = ''
    runHook preInstall
    mkdir -p "$out/lib/nohead" "$out/bin"
    cp -R . "$out/lib/nohead"
    cp -R --no-preserve=mode ${nodeModules}/. "$out/lib/nohead"
    makeWrapper ${lib.getExe bun} "$out/bin/nohead" \
      --add-flags "$out/lib/nohead/apps/cli/src/main.ts" \
      --prefix PATH : ${
        lib.makeBinPath [
          qemu
          openssh
          nix
        ]
      } \
      --set-default NOHEAD_PINNED_NIXPKGS ${nixpkgsSource} \
      --set-default NOHEAD_SOURCE ${noheadSource}
    runHook postInstall
  '';
  passthru = {
    inherit bun nodeModules;
  };
  meta = {
    description = "Declare many NixOS VMs in one configs.nix, build, run, watch and stop them";
    mainProgram = "nohead";
    platforms = bun.meta.platforms;
  };
}
