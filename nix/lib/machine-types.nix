# Groups the instances of a build by machine type: what one NixOS evaluation, one system and one
# runner are made from. Everything here is the same for every instance of the type; identity
# (name, index, private address) is given by the runtime when an instance starts (Contract 2).
{
  /**
    The machine types of a list of instances (plan.machinesOf), ordered by type name. Each holds
    what its instances share and the list of instances itself:

      baseName     the type's name (MACHINE_BASE_NAME)
      type         the type's options, defaulted (instances.nix withDefaults)
      username, secrets, hasDiskImage
      guestForwards  [ { name; protocol; guestPort; } ]: forwards without their host side
      count        how many instances
      instances    the instances, by index
      privateMacs  the MACs the runtime may give the type's private NIC (one per instance)

    Example:
      machineTypesOf (machinesOf { web = { count = 2; }; })
      => [ { baseName = "web"; count = 2; instances = [ <web-1> <web-2> ];
             privateMacs = [ "52:54:00:d5:00:0a" "52:54:00:d5:00:0b" ]; … } ]
  */
  machineTypesOf =
    machines:
    let
      byType = builtins.groupBy (m: m.baseName) machines;
    in
    map (
      baseName:
      let
        instances = byType.${baseName};
        first = builtins.head instances;
      in
      {
        inherit baseName instances;
        inherit (first)
          type
          username
          secrets
          hasDiskImage
          ;
        count = builtins.length instances;
        guestForwards = map (f: { inherit (f) name protocol guestPort; }) first.forwards;
        privateMacs = builtins.concatMap (m: if m.network == null then [ ] else [ m.network.mac ]) instances;
      }
    ) (builtins.attrNames byType);

}
