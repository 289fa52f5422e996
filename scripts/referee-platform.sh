#!/usr/bin/env bash
# The hadolint findings and checkov's CKV_DOCKER_5 on these trees come from the
# `instructions` the platform's users published (`pip install` without
# `--no-cache-dir`, `apt-get update` alone), rendered verbatim.
#
# Renders every reference-platform Task spec (fixtures/platform-specs/*.yaml, one file at a
# time: the platform's examples reuse function names) and the platform golden cases, and
# runs the third-party referees over the result, with the project's checkov exceptions.
#
# usage: scripts/referee-platform.sh [REFEREE_DIR]   (default: ../shared/referee)
set -euo pipefail
cd "$(dirname "$0")/.."
REFEREE="${1:-../shared/referee}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cargo build --quiet --locked
bin="$PWD/target/debug/taskrender"
n=0
for spec in fixtures/platform-specs/*.yaml; do
  # A namespace per spec: the referees merge every object into one kustomization, and the
  # platform's examples reuse function names.
  stem="$(basename "$spec" .yaml)"
  "$bin" render --profiles fixtures/platform-specs/profiles --namespace "$stem" "$spec" -o "$work/$stem" 2>/dev/null
  n=$((n + 1))
done
echo "referee-platform: $n platform specs rendered"
default_skips="$(sed -n 's/^DEFAULT_CHECKOV_SKIP="\(.*\)"$/\1/p' "$REFEREE/check.sh")"
project_skips="$(grep -o '^CKV[0-9A-Z_]*' tests/checkov-skips.txt | paste -sd, -)"
export REFEREE_CHECKOV_SKIP="${default_skips}${project_skips:+,$project_skips}"
"$REFEREE/check.sh" "$work"
