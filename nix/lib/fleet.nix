# Assembles a build result: the runners of every machine, the disk images asked for, and the
# manifest (Contract 1) that points at them. Generic over how runners, images and the result
# derivation are made, so the real NixOS build (nix/build-config.nix) and the offline test flake
# share it.
{ plan }:
rec {
  /**
    The manifest of a fleet: the plan's machines plus, per machine, `runner` (absolute path of its
    run script) and `system` (the store path that made it, for stale-disk detection), and the images.

    Arguments:
      machines: the result of plan.machinesOf (instances with `.plan`)
      runners:  name -> { runner = "/nix/store/…/bin/run-x-vm"; system = "/nix/store/…"; }
      images:   list of { name; format; path; }
  */
  manifestOf =
    {
      machines,
      runners,
      images ? [ ],
    }:
    {
      schemaVersion = 1;
      network = {
        inherit (import ./network.nix) subnet;
      };
      machines = map (m: m.plan // { inherit (runners.${m.name}) runner system; }) machines;
      inherit images;
    };

  /**
    The build result of a configs attrset.

    Arguments:
      configs:    the evaluated configs.nix (machine type -> options)
      mkRunner:   instance -> machines -> { runner; system; drv; }  (drv: the derivation to build)
      mkImage:    instance -> { name; format; path; drv; }          (called for index 1 of types with diskImage)
      withImages: whether to build disk images
      mkResult:   { name; manifest; paths; } -> derivation writing manifest to
                  $out/nohead-manifest.json and linking `paths`

    Returns the result derivation with `passthru`-like attributes under `nohead`:
      nohead.plan:     the plan (what `nohead plan` prints)
      nohead.drvs:     machine name -> derivation (per machine, for per-VM builds and progress)
      nohead.imageDrvs: machine type -> disk image derivation (when images are built)
      nohead.drvPaths, nohead.imageDrvPaths: the same as .drv paths (to map Nix progress to machines)
      nohead.subset:   [ names ] -> a result with only those machines (for --keep-going)
  */
  mkFleet =
    {
      configs,
      mkRunner,
      mkImage ? null,
      withImages ? false,
      mkResult,
      name ? "nohead-result",
    }:
    let
      machines = plan.machinesOf configs;
      runners = builtins.listToAttrs (
        map (m: {
          inherit (m) name;
          value = mkRunner m machines;
        }) machines
      );
      imageMachines = if withImages && mkImage != null then builtins.filter (m: m.hasDiskImage && m.index == 1) machines else [ ];
      images = map mkImage imageMachines;
      resultOf =
        selected:
        let
          keep = builtins.filter (m: builtins.elem m.name selected) machines;
          keptImages = builtins.filter (img: builtins.any (m: m.baseName == img.name) keep) images;
        in
        (mkResult {
          inherit name;
          manifest = manifestOf {
            machines = keep;
            runners = builtins.mapAttrs (_: r: { inherit (r) runner system; }) runners;
            images = map (img: { inherit (img) name format path; }) keptImages;
          };
          paths = map (m: runners.${m.name}.drv) keep ++ map (img: img.drv) keptImages;
        })
        // {
          nohead = {
            plan = plan.planOf configs;
            drvPaths = builtins.mapAttrs (_: d: d.drvPath) drvs;
            imageDrvPaths = builtins.mapAttrs (_: d: d.drvPath) imageDrvs;
            inherit drvs imageDrvs;
            subset = resultOf;
          };
        };
      drvs = builtins.mapAttrs (_: r: r.drv) runners;
      imageDrvs = builtins.listToAttrs (
        map (img: {
          inherit (img) name;
          value = img.drv;
        }) images
      );
    in
    resultOf (map (m: m.name) machines);
}
