# What the nohead package pins, in one place: read by nix/package/bun.nix and nohead.nix, and by
# the tests (scripts/node-modules-hash.ts evaluates this file with nix-instantiate). The
# provenance of every hash is in docs/nix-layer.md ("Pins and their provenance").
{
  bun = {
    # One exact Bun for everything: the package, the dev shells, package.json's packageManager
    # and engines, scripts/setup-machine.sh and CI (a test checks that they agree).
    version = "1.4.2";
    # Release assets of github.com/oven-sh/bun, tag bun-v<version>, with their hashes as nixpkgs'
    # own bun package records them for 1.4.2 (docs/nix-layer.md names the files and commits).
    # x86_64: the baseline build (no AVX2 needed), so the CLI runs on any x86_64 host or VM.
    sources = {
      x86_64-linux = {
        asset = "bun-linux-x64-baseline.zip";
        hash = "sha256-xngEDxT+BEDrg503y9DOTAUaMtpygGrJfeamqra/co8=";
      };
      aarch64-linux = {
        asset = "bun-linux-aarch64.zip";
        hash = "sha256-VDKLvC2cjgyfiSxUTWbFeoO4QTnjSQnl7oF1jxrI/ac=";
      };
    };
  };

  # `nix hash path` of the production node_modules tree (nix/package/install-node-modules.sh run
  # by this Bun on bun.lock). One hash for every system: no production dependency is specific to
  # an OS or CPU, so the tree is the same on x86_64 and aarch64 (`bun scripts/node-modules-hash.ts
  # --all-platforms` shows it). After a bun.lock change: `bun scripts/node-modules-hash.ts` and
  # paste what it prints.
  nodeModulesHash = "sha256-+bmlkzYUaHR0NeyYx3CNyyUwCKKlJzBAkcAs+/C39L0=";
}
