{
  description = "A nohead project: the machines in configs.nix, built by `nohead build`";

  inputs = {
    # The nohead that created this project: `nohead init` wrote its flake reference here (the
    # packaged CLI's own source, or the checkout it ran from). Point it elsewhere to change nohead.
    nohead.url = "@NOHEAD_FLAKE_REF@";
    # The nixpkgs nohead was tested with (its flake.lock), so machines build against the same
    # NixOS options and packages; `nix flake update` follows nohead's pin.
    nixpkgs.follows = "nohead/nixpkgs";
  };

  outputs =
    {
      self,
      nixpkgs,
      nohead,
    }:
    let
      inherit (nixpkgs) lib;
      systems = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      forAllSystems = f: lib.genAttrs systems f;

      # The examples `nohead init` copied into ./examples, and what building each one needs.
      # An example that is not there (e.g. after `nix flake init`) is skipped.
      examples = {
        vm-count-option.customArgs = {
          greeting = "Hello from this project's flake.nix";
        };
        ssh-from-host = { };
        shared-dir = { };
        copy-to-home = { };
        disk-images.makeDiskImages = true;
        python = { };
        server-client = { };
        health-checks = { };
        secrets = { };
      };
      present = lib.filterAttrs (name: _: builtins.pathExists ./examples/${name}/configs.nix) examples;
    in
    {
      packages = forAllSystems (
        system:
        let
          # no-headache's entry point: { configsFile, makeDiskImages, customArgs ? { } }.
          inherit (nohead.lib.${system}) buildConfig;
        in
        {
          # Your machines: `nohead build` builds this one.
          default = buildConfig {
            configsFile = ./configs.nix;
            makeDiskImages = false;
          };

          # Add more here, e.g. a second set of machines or the same with disk images:
          # images = buildConfig { configsFile = ./configs.nix; makeDiskImages = true; };
        }
        // lib.mapAttrs (
          name: args:
          buildConfig (
            {
              configsFile = ./examples/${name}/configs.nix;
              makeDiskImages = false;
            }
            // args
          )
        ) present
      );

      # The nohead command and everything it needs: `nix develop`.
      devShells = forAllSystems (system: {
        default = nohead.devShells.${system}.nohead;
      });
      apps = forAllSystems (system: {
        default = nohead.apps.${system}.default;
      });
    };
}
