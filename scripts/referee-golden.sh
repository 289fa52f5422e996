#!/usr/bin/env bash
# Runs the third-party referees (../shared/referee/check.sh) over every golden output
# (all `fixtures/*/*/expected/` trees of successful cases) and over `examples/` rendered
# by the current build, side by side in one directory so the referees start once. Project-wide checkov exceptions, each with its
# reason, are in tests/checkov-skips.txt; they are added to check.sh's default list.
#
# usage: scripts/referee-golden.sh [REFEREE_DIR]   (default: ../shared/referee)
set -euo pipefail
cd "$(dirname "$0")/.."
REFEREE="${1:-../shared/referee}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
scripts/golden-trees.sh "$work" | sed 's/^golden-trees:/referee-golden:/'
# The Task schema as editors use it: every single-document Task of a successful case and
# every example must be valid under an independent validator (check-jsonschema).
venv="${REFEREE_VENV:-$HOME/.cache/referees}"
mapfile -t tasks < <(for t in fixtures/*/*/task.yaml examples/*.yaml; do
  d="$(dirname "$t")/expected"
  { [ -d "$d" ] && [ ! -f "$d/stderr" ] || [[ "$t" == examples/* ]]; } || continue
  grep -q '^---' "$t" || echo "$t"
done)
"$venv/bin/check-jsonschema" --schemafile schemas/task.schema.json "${tasks[@]}"
echo "referee-golden: ${#tasks[@]} Task files valid under check-jsonschema"
default_skips="$(sed -n 's/^DEFAULT_CHECKOV_SKIP="\(.*\)"$/\1/p' "$REFEREE/check.sh")"
project_skips="$(grep -o '^CKV[0-9A-Z_]*' tests/checkov-skips.txt | paste -sd, -)"
export REFEREE_CHECKOV_SKIP="${default_skips}${project_skips:+,$project_skips}"
"$REFEREE/check.sh" "$work"
