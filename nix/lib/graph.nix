# Dependency graph checks for `dependsOn`.
{
  /**
    The first cycle in a graph given as { node = [ successors ]; }, as a list of nodes
    that starts and ends with the same node, or null when the graph is acyclic.
    Successors that are not nodes of the graph are ignored (unknown names are reported elsewhere).

    Example: findCycle { a = [ "b" ]; b = [ "a" ]; } => [ "a" "b" "a" ]
  */
  findCycle =
    edges:
    let
      # Depth-first search carrying the current path; returns { cycle, done } where done is the
      # set of nodes fully explored (so each node is explored once: linear in the graph size).
      visit =
        state: path: node:
        if state.cycle != null || state.done ? ${node} then
          state
        else if builtins.elem node path then
          state
          // {
            cycle =
              let
                start = builtins.length path - 1 - (indexFromEnd node path);
              in
              (builtins.genList (i: builtins.elemAt path (start + i)) (builtins.length path - start)) ++ [ node ];
          }
        else
          let
            after = builtins.foldl' (s: next: if edges ? ${next} then visit s (path ++ [ node ]) next else s) state (
              edges.${node}
            );
          in
          after // { done = after.done // { ${node} = true; }; };
      indexFromEnd =
        node: path:
        let
          len = builtins.length path;
          go = i: if builtins.elemAt path (len - 1 - i) == node then i else go (i + 1);
        in
        go 0;
    in
    (builtins.foldl' (s: node: visit s [ ] node) {
      cycle = null;
      done = { };
    } (builtins.attrNames edges)).cycle;
}
