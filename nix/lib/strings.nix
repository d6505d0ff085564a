# Small string helpers the library needs and builtins lack.
rec {
  /**
    Whether `s` is a host name NixOS accepts (networking.hostName's type): a hostname label
    (RFC 1123: 1-63 letters, digits and dashes, starting and ending with a letter or digit)
    where NixOS also allows `_` inside "for compatibility/legacy reasons", as no-headache's
    machine names did.

    Example: isHostnameLabel "web_1" => true
  */
  isHostnameLabel =
    s:
    builtins.isString s
    && builtins.stringLength s <= 63
    && builtins.match "[A-Za-z0-9]([A-Za-z0-9_-]*[A-Za-z0-9])?" s != null;

  /**
    Whether `s` is a valid POSIX-ish user name.

    Example: isUserName "nixy" => true
  */
  isUserName = s: builtins.isString s && builtins.match "[a-z_][a-z0-9_-]{0,31}" s != null;

  /**
    Joins `list` with `sep`.

    Example: join ", " [ "a" "b" ] => "a, b"
  */
  join = builtins.concatStringsSep;

  /**
    Levenshtein distance between two short strings (used for "did you mean" hints).

    Example: distance "cont" "count" => 1
  */
  distance =
    a: b:
    let
      la = builtins.stringLength a;
      lb = builtins.stringLength b;
      charAt = s: i: builtins.substring i 1 s;
      step =
        prev: i:
        builtins.foldl' (
          row: j:
          let
            cost = if charAt a (i - 1) == charAt b (j - 1) then 0 else 1;
            del = builtins.elemAt prev j + 1;
            ins = builtins.elemAt row (j - 1) + 1;
            sub = builtins.elemAt prev (j - 1) + cost;
            best = if del < ins then (if del < sub then del else sub) else (if ins < sub then ins else sub);
          in
          row ++ [ best ]
        ) [ i ] (builtins.genList (j: j + 1) lb);
      last = builtins.foldl' step (builtins.genList (j: j) (lb + 1)) (builtins.genList (i: i + 1) la);
    in
    builtins.elemAt last lb;

  /**
    The closest candidate to `word` within distance 2, or null.

    Example: closest "cont" [ "count" "host" ] => "count"
  */
  closest =
    word: candidates:
    let
      scored = map (c: {
        name = c;
        d = distance word c;
      }) candidates;
      best = builtins.foldl' (acc: x: if acc == null || x.d < acc.d then x else acc) null scored;
    in
    if best != null && best.d <= 2 then best.name else null;

  /**
    Renders a value for an error message without copying paths into the store
    (builtins.toJSON would) and without forcing more than it shows.

    Example: show [ 1 "a" ] => "[ 1 \"a\" ]"
  */
  show =
    v:
    if builtins.isString v then
      ''"${v}"''
    else if builtins.isPath v then
      toString v
    else if builtins.isFunction v then
      "a function"
    else if builtins.isList v then
      "[ ${join " " (map show v)} ]"
    else if builtins.isAttrs v then
      "{ ${join " " (map (n: "${n} = …;") (builtins.attrNames v))} }"
    else if v == null then
      "null"
    else if builtins.isBool v then
      (if v then "true" else "false")
    else
      toString v;
}
