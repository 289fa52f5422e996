#!/usr/bin/env bash
# `cargo install ARGS...` for the tools CI builds (scripts/ci-tools.sh's cargo-deny and
# cargo-dist, fuzz/run.sh's cargo-fuzz): they run for seconds, their build is what costs. So
# the release profile is made to compile fast rather than run fast: no LTO (cargo-deny's own
# profile asks for fat LTO and one codegen unit, a single-threaded link of minutes), 16
# codegen units, opt-level 1, no debug info; at low priority.
set -euo pipefail
CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
  CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_DEBUG=false \
  exec nice -n 10 cargo install "$@"
