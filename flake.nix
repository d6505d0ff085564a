{
  description = "nohead: declare many NixOS VMs in one configs.nix, build them with Nix, run, watch and stop them";

  inputs = {
    # Same release as no-headache.nix, so its users' configs.nix evaluate against the same options.
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
  };

  outputs =
    { self, nixpkgs }:
    let
      inherit (nixpkgs) lib;
      systems = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      forAllSystems = f: lib.genAttrs systems (system: f system nixpkgs.legacyPackages.${system});

      # The pure library: planning and validation without nixpkgs (see nix/lib/default.nix).
      noheadLib = import ./nix/lib;

      # Every example and what building it needs (the same table the project template uses).
      examples = {
        vm-count-option.customArgs = import ./examples/vm-count-option/custom-args.nix;
        ssh-from-host = { };
        shared-dir = { };
        copy-to-home = { };
        disk-images.makeDiskImages = true;
        python = { };
        server-client = { };
        health-checks = { };
        secrets = { };
      };

      # `pkgs` must never be forced while planning: this value says so if it is.
      planningPkgs = throw "nohead: configs.nix used `pkgs` outside nixos-config while planning; keep pkgs inside nixos-config, nixos-config-virt or let bindings used there";

      planOf =
        {
          configsFile,
          customArgs ? { },
        }:
        noheadLib.planOf (
          import configsFile {
            pkgs = planningPkgs;
            inherit customArgs;
          }
        );

      # The nohead CLI: the repository's TypeScript run by Bun, with node_modules from a
      # fixed-output derivation (`bun install --frozen-lockfile`). Its hash must change whenever
      # bun.lock or Bun changes: see docs/nix-layer.md ("Updating the node_modules hash").
      cliFor =
        system: pkgs:
        let
          bun = lib.warnIf (lib.versionOlder pkgs.bun.version "1.4.5")
            "nohead: package.json asks for Bun >= 1.4.5 but nixpkgs has ${pkgs.bun.version}; `bun install --frozen-lockfile` may reject bun.lock"
            pkgs.bun;

          workspaceManifests =
            dir:
            map (name: dir + "/${name}/package.json") (
              builtins.filter (name: builtins.pathExists (dir + "/${name}/package.json")) (
                builtins.attrNames (builtins.readDir dir)
              )
            );

          nodeModules = pkgs.stdenvNoCC.mkDerivation {
            pname = "nohead-node-modules";
            version = "0.1.0";
            src = lib.fileset.toSource {
              root = ./.;
              fileset = lib.fileset.unions (
                [
                  ./package.json
                  ./bun.lock
                  ./bunfig.toml
                ]
                ++ workspaceManifests ./apps
                ++ workspaceManifests ./libs
              );
            };
            nativeBuildInputs = [ bun ];
            dontConfigure = true;
            buildPhase = ''
              runHook preBuild
              export HOME="$TMPDIR"
              bun install --frozen-lockfile --production --ignore-scripts --no-progress
              runHook postBuild
            '';
            # Every node_modules folder (the root's and the workspaces'), symlinks kept as they are:
            # workspace links are relative (../../libs/x) and resolve once copied beside the source.
            installPhase = ''
              runHook preInstall
              mkdir -p "$out"
              find . -type d -name node_modules -prune -exec cp -R --parents {} "$out" \;
              runHook postInstall
            '';
            dontFixup = true;
            outputHashMode = "recursive";
            outputHashAlgo = "sha256";
            # Replace after a bun.lock change: set lib.fakeHash, build, copy the hash Nix reports.
            outputHash =
              {
                x86_64-linux = lib.fakeHash;
                aarch64-linux = lib.fakeHash;
              }
              .${system};
          };
        in
        pkgs.stdenvNoCC.mkDerivation {
          pname = "nohead";
          version = "0.1.0";
          src = lib.fileset.toSource {
            root = ./.;
            fileset = lib.fileset.unions [
              ./package.json
              ./bunfig.toml
              ./tsconfig.json
              ./apps
              ./libs
              ./nix
            ];
          };
          nativeBuildInputs = [ pkgs.makeWrapper ];
          dontConfigure = true;
          dontBuild = true;
          installPhase = ''
            runHook preInstall
            mkdir -p "$out/lib/nohead" "$out/bin"
            cp -R . "$out/lib/nohead"
            cp -R --no-preserve=mode ${nodeModules}/. "$out/lib/nohead"
            makeWrapper ${bun}/bin/bun "$out/bin/nohead" \
              --add-flags "$out/lib/nohead/apps/cli/src/main.ts" \
              --prefix PATH : ${
                lib.makeBinPath [
                  pkgs.qemu
                  pkgs.openssh
                  pkgs.nix
                ]
              }
            runHook postInstall
          '';
          meta = {
            description = "Declare many NixOS VMs in one configs.nix, build, run, watch and stop them";
            mainProgram = "nohead";
            platforms = systems;
          };
        };
    in
    {
      # lib.<system>.buildConfig: no-headache's entry point ({ configsFile, makeDiskImages, customArgs ? {} }).
      # lib.plan: the machine list of a configs.nix without building (never forces pkgs).
      # lib.pure: the pure library itself.
      lib =
        forAllSystems (
          system: pkgs: {
            buildConfig =
              args:
              import ./nix/build-config.nix (
                {
                  inherit pkgs system;
                }
                // args
              );
          }
        )
        // {
          plan = planOf;
          pure = noheadLib;
        };

      packages = forAllSystems (
        system: pkgs:
        let
          nohead = cliFor system pkgs;
          buildConfig = self.lib.${system}.buildConfig;
        in
        {
          default = nohead;
          inherit nohead;
        }
        // lib.mapAttrs' (
          name: args:
          lib.nameValuePair "example-${name}" (
            buildConfig (
              {
                configsFile = ./examples/${name}/configs.nix;
                makeDiskImages = false;
              }
              // args
            )
          )
        ) examples
      );

      apps = forAllSystems (
        system: _: {
          default = self.apps.${system}.nohead;
          nohead = {
            type = "app";
            program = "${self.packages.${system}.nohead}/bin/nohead";
          };
        }
      );

      devShells = forAllSystems (
        system: pkgs:
        let
          # `nohead` in the developers' shell runs the checkout's sources, so edits take effect at once.
          fromCheckout = pkgs.writeShellScriptBin "nohead" ''
            root="''${NOHEAD_ROOT:-$(${pkgs.git}/bin/git rev-parse --show-toplevel)}"
            exec ${pkgs.bun}/bin/bun "$root/apps/cli/src/main.ts" "$@"
          '';
        in
        {
          # For working on nohead: Bun, QEMU, Nix, OpenSSH, nixfmt, and `nohead` from the checkout.
          default = pkgs.mkShell {
            packages = [
              pkgs.bun
              pkgs.qemu
              pkgs.nix
              pkgs.openssh
              pkgs.nixfmt-rfc-style
              pkgs.git
              fromCheckout
            ];
            shellHook = ''
              export NOHEAD_ROOT="$(git rev-parse --show-toplevel 2>/dev/null || pwd)"
            '';
          };
          # For using nohead (what a project's flake offers): the packaged CLI and what it runs.
          nohead = pkgs.mkShell {
            packages = [
              self.packages.${system}.nohead
              pkgs.qemu
              pkgs.openssh
              pkgs.nix
            ];
          };
        }
      );

      templates.default = {
        path = ./nix/template;
        description = "A nohead project: flake.nix, a starter configs.nix, .gitignore and secrets/";
        welcomeText = ''
          # A nohead project

          Edit `configs.nix`, then `nohead plan` and `nohead build`.
          `mv gitignore .gitignore` if `nix flake init` left it under that name.
          `nohead init` does the same and also copies every example into `examples/`.
        '';
      };

      # Evaluated at eval time: the derivations are trivial, the work is the evaluation.
      checks = forAllSystems (
        system: pkgs:
        let
          # nix/lib/tests.nix evaluates to the list of failing tests ([] when all pass).
          libFailures = import ./nix/lib/tests.nix;
          examplePlans = lib.mapAttrs (
            name: args:
            planOf {
              configsFile = ./examples/${name}/configs.nix;
              customArgs = args.customArgs or { };
            }
          ) examples;
        in
        {
          lib = pkgs.runCommand "nohead-lib-tests" { } (
            if libFailures == [ ] then
              "touch $out"
            else
              throw "nohead: nix/lib tests failed:\n${builtins.toJSON libFailures}"
          );
          example-plans = pkgs.runCommand "nohead-example-plans" { } (
            builtins.deepSeq examplePlans "touch $out"
          );
        }
      );

      # The agent as a hardened systemd service (docs/agent.md); the package defaults to this flake's CLI.
      nixosModules.agent =
        { pkgs, lib, ... }:
        {
          imports = [ ./nix/modules/agent.nix ];
          services.nohead-agent.package = lib.mkDefault self.packages.${pkgs.stdenv.hostPlatform.system}.nohead;
        };
    };
}
