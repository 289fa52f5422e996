#!/usr/bin/env bash
# Collects every golden output (all `fixtures/*/*/expected/` trees of successful cases) and
# `examples/` rendered by the current build side by side into DEST (created if missing):
# DEST/<group>-<case>/ and DEST/examples/. Used by scripts/referee-golden.sh and, in CI,
# for scripts/kube-dry-run.sh. Prints how many trees it collected.
#
# usage: scripts/golden-trees.sh DEST
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 DEST" >&2; exit 2; }
dest_root="$(mkdir -p "$1" && cd "$1" && pwd)"
cd "$(dirname "$0")/.."
n=0
for expected in fixtures/*/*/expected; do
  [ -f "$expected/stderr" ] && continue
  # command outputs and imported Task files are not render trees
  [[ "$expected" == fixtures/commands/* || "$expected" == fixtures/import/* ]] && continue
  case_dir="$(dirname "$expected")"
  dest="$dest_root/$(basename "$(dirname "$case_dir")")-$(basename "$case_dir")"
  cp -R "$expected" "$dest"
  n=$((n + 1))
done
cargo run --quiet --locked -- render examples/ -o "$dest_root/examples"
echo "golden-trees: $n fixture trees and examples/"
