# The Bun nohead runs on, pinned to the exact version of ./pins.nix: the release zip of
# github.com/oven-sh/bun for the host, patched for Nix's loader. Modelled on nixpkgs'
# pkgs/by-name/bu/bun/package.nix (same fetch, unpack, autoPatchelf and install; no shell
# completions or updater). nixpkgs' own Bun cannot be used: nixos-25.05 has a 1.2.x, which
# refuses bun.lock ("lockfileVersion": 2).
{
  lib,
  stdenvNoCC,
  fetchurl,
  autoPatchelfHook,
  unzip,
  openssl,
}:
let
  pins = (import ./pins.nix).bun;
  inherit (stdenvNoCC.hostPlatform) system;
  source = pins.sources.${system} or (throw "nohead: no pinned Bun for ${system}; nix/package/pins.nix has ${builtins.concatStringsSep ", " (builtins.attrNames pins.sources)}");
in
stdenvNoCC.mkDerivation {
  pname = "bun";
  inherit (pins) version;

  src = fetchurl {
    url = "https://github.com/oven-sh/bun/releases/download/bun-v${pins.version}/${source.asset}";
    inherit (source) hash;
  };

  strictDeps = true;
  nativeBuildInputs = [
    unzip
  ]
  ++ lib.optionals stdenvNoCC.hostPlatform.isLinux [ autoPatchelfHook ];
  buildInputs = [ openssl ];

  dontConfigure = true;
  dontBuild = true;

  installPhase = ''
    runHook preInstall
    install -Dm 755 ./bun $out/bin/bun
    ln -s $out/bin/bun $out/bin/bunx
    runHook postInstall
  '';

  meta = {
    description = "Bun ${pins.version}, the JavaScript runtime nohead is tested on";
    homepage = "https://bun.sh";
    sourceProvenance = [ lib.sourceTypes.binaryNativeCode ];
    license = [
      lib.licenses.mit
      lib.licenses.lgpl21Only
    ];
    mainProgram = "bun";
    platforms = builtins.attrNames pins.sources;
  };
}
