# Assembles a build result: one runner per machine type (whatever its count), the disk images
# asked for, and the manifest (Contract 1) that points at them. Generic over how runners, images
# and the result derivation are made, so the real NixOS build (nix/build-config.nix) and the
# offline test flake share it.
{ plan, machineTypes }:
rec {
  /**
    The manifest of a fleet: the plan's machines plus, per machine, its type's `runner` (absolute
    path of its run script), `system` (the store path that made it, for stale-disk detection) and
    `resources` when the runner gives them; and the images. Instances of a type share `runner`,
    `system` and `resources`; their identity fields (name, index, network, forwards) stay their own.

    Arguments:
      machines: the result of plan.machinesOf (instances with `.plan`)
      runners:  type name -> { runner = "/nix/store/…/bin/run-x-vm"; system = "/nix/store/…";
                               resources = { cores; memoryMiB; }; }  (resources optional)
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
      machines = map (
        m:
        let
          r = runners.${m.baseName};
        in
        m.plan // { inherit (r) runner system; } // (if r ? resources then { inherit (r) resources; } else { })
      ) machines;
      inherit images;
    };

  /**
    The build result of a configs attrset.

    Arguments:
      configs:    the evaluated configs.nix (machine type -> options)
      mkRunner:   machineType -> machines -> { runner; system; drv; resources?; }
                  called once per machine type (machine-types.nix), whatever its count;
                  drv is the derivation to build, resources = { cores; memoryMiB; }
      mkImage:    machineType -> { name; format; path; drv; }   (types with diskImage)
      withImages: whether to build disk images
      mkResult:   { name; manifest; paths; } -> derivation writing manifest to
                  $out/nohead-manifest.json and linking `paths`

    Returns the result derivation with `passthru`-like attributes under `nohead`:
      nohead.plan:     the plan (what `nohead plan` prints)
      nohead.drvs:     machine name -> derivation (its type's: instances of a type share one)
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
      types = machineTypes.machineTypesOf machines;
      runners = builtins.listToAttrs (
        map (t: {
          name = t.baseName;
          value = mkRunner t machines;
        }) types
      );
      imageTypes = if withImages && mkImage != null then builtins.filter (t: t.hasDiskImage) types else [ ];
      images = map mkImage imageTypes;
      resultOf =
        selected:
        let
          keep = builtins.filter (m: builtins.elem m.name selected) machines;
          keptTypes = builtins.filter (t: builtins.any (m: m.baseName == t.baseName) keep) types;
          keptImages = builtins.filter (img: builtins.any (t: t.baseName == img.name) keptTypes) images;
        in
        # The configuration's own errors first (machinesOf validates it), before anything of
        # nixpkgs is touched.
        builtins.seq (builtins.length keep) (mkResult {
          inherit name;
          manifest = manifestOf {
            machines = keep;
            runners = builtins.mapAttrs (
              _: r: { inherit (r) runner system; } // (if r ? resources then { inherit (r) resources; } else { })
            ) runners;
            images = map (img: { inherit (img) name format path; }) keptImages;
          };
          paths = map (t: runners.${t.baseName}.drv) keptTypes ++ map (img: img.drv) keptImages;
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
      drvs = builtins.listToAttrs (
        map (m: {
          inherit (m) name;
          value = runners.${m.baseName}.drv;
        }) machines
      );
      imageDrvs = builtins.listToAttrs (
        map (img: {
          inherit (img) name;
          value = img.drv;
        }) images
      );
    in
    resultOf (map (m: m.name) machines);
}
