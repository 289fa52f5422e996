# shellcheck shell=bash
# Sourced, not run: the static host build's target and flags, defined once for the scripts
# that build it (dist-check.sh's static step, wheel-test.sh's maturin build,
# instructions.sh). With one $CARGO_TARGET_DIR they share that build; flags that differ in
# the least would rebuild every crate.
STATIC_TARGET="$(rustc -vV | sed -n 's/^host: //p')"
STATIC_RUSTFLAGS='-C target-feature=+crt-static'
