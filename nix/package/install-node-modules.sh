# nohead's production JavaScript dependencies, the way the Nix package gets them: run in a directory
# holding package.json, bun.lock, bunfig.toml and the workspaces' package.json files, with the
# pinned Bun on PATH; copies every node_modules directory (the root's and the workspaces') to $1,
# symlinks kept as they are (workspace links are relative and resolve once copied beside the
# sources). Extra arguments go to `bun install` (scripts/node-modules-hash.ts passes --cpu/--os to
# show the tree is the same on every platform).
# Used by nix/package/nohead.nix (a fixed-output derivation) and scripts/node-modules-hash.ts.
set -euo pipefail
out=$1
shift
umask 022
bun install --frozen-lockfile --production --ignore-scripts --no-progress "$@"
mkdir -p "$out"
find . -type d -name node_modules -prune -exec cp -R --parents {} "$out" \;
