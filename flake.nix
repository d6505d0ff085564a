{
  description = "nohead: declare many NixOS VMs in one configs.nix, build them with Nix, run, watch and stop them";

  inputs = {
    # Same release as no-headache.nix, so its users' configs.nix evaluate against the same options;
    # flake.lock pins the revision no-headache's own lock has (docs/nix-layer.md).
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

      # The Bun nohead runs on (one exact version, nix/package/pins.nix) and the CLI package.
      bunFor = pkgs: pkgs.callPackage ./nix/package/bun.nix { };
      cliFor =
        pkgs:
        pkgs.callPackage ./nix/package/nohead.nix {
          bun = bunFor pkgs;
          # The runtime's defaults (NOHEAD_PINNED_NIXPKGS, NOHEAD_SOURCE): see nix/package/nohead.nix.
          nixpkgsSource = nixpkgs.outPath;
          noheadSource = self.outPath;
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
          nohead = cliFor pkgs;
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
          bun = bunFor pkgs;
          fromCheckout = pkgs.writeShellScriptBin "nohead" ''
            root="''${NOHEAD_ROOT:-$(${pkgs.git}/bin/git rev-parse --show-toplevel)}"
            exec ${bun}/bin/bun "$root/apps/cli/src/main.ts" "$@"
          '';
        in
        {
          # For working on nohead: the pinned Bun, QEMU, Nix, OpenSSH, nixfmt, and `nohead` from the checkout.
          default = pkgs.mkShell {
            packages = [
              bun
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
        description = "A nohead project: flake.nix, a starter configs.nix, .gitignore, secrets/ and compat-envs/";
        welcomeText = ''
          # A nohead project

          Replace `@NOHEAD_FLAKE_REF@` in flake.nix with where nohead comes from (the flake
          reference you used in `nix flake init -t`), then edit `configs.nix`, `nohead plan` and
          `nohead build`. `mv gitignore .gitignore` if `nix flake init` left it under that name.
          `nohead init` does all this itself and also copies every example into `examples/`.
        '';
      };

      # lib and example-plans are evaluated at eval time (trivial derivations); package is the CLI.
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
          # Builds the CLI: fetches the pinned Bun and node_modules, so every hash is checked.
          package = cliFor pkgs;
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
