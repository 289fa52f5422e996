#!/usr/bin/env bash
# Instruction counts of the static release build under callgrind: deterministic whatever the
# machine's load, so a regression shows up even on a busy CI runner.
#
#   one Task  = I(1), instructions of `taskrender render -j 1` on one Task (start-up included)
#   per Task  = (I(1000) - I(1)) / 999, on the generated set (gen_tasks.py 1000, default seed);
#               the one-Task input is the first file of that set
#
# usage: scripts/instructions.sh [--check]
#   --check   also compare with scripts/instructions.ceiling (two numbers: `one` and
#             `per_task`, 10 % above the figures reached) and exit 1 when either is above
#
# Needs valgrind and python3; the Task generator is ../shared/bench-peers/gen_tasks.py
# (override with GEN=...).
set -euo pipefail
cd "$(dirname "$0")/.."
CHECK=0
case "${1:-}" in
  --check) CHECK=1 ;;
  "") ;;
  *) echo "usage: scripts/instructions.sh [--check]" >&2; exit 2 ;;
esac
GEN="${GEN:-../shared/bench-peers/gen_tasks.py}"
command -v valgrind >/dev/null || { echo "instructions.sh: valgrind is not installed" >&2; exit 2; }

# The binary measured is the one users install: the static release build of the host
# target (scripts/static.sh, as scripts/dist-check.sh and the wheel build it; the release
# archives are static too). In CI that build is already made by the static step, in the same
# $CARGO_TARGET_DIR, so this step compiles nothing.
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
source scripts/static.sh
RUSTFLAGS="$STATIC_RUSTFLAGS" cargo build --release --locked --quiet --target "$STATIC_TARGET"
BIN="$TARGET_DIR/$STATIC_TARGET/release/taskrender"
DIR="$TARGET_DIR/instructions"
if [ ! -d "$DIR/tasks-1000" ]; then
  rm -rf "$DIR"
  mkdir -p "$DIR/tasks-1"
  python3 "$GEN" 1000 "$DIR/tasks-1000" >/dev/null
  tasks=("$DIR"/tasks-1000/*) # sorted by the shell; no pipe for `head` to cut short
  cp "${tasks[0]}" "$DIR/tasks-1/"
fi

# Instructions ("Collected") of one run of the binary on a folder, -j 1, stdout discarded.
count() {
  local log="$DIR/callgrind.log"
  valgrind --tool=callgrind --callgrind-out-file=/dev/null --log-file="$log" \
    "$BIN" render -j 1 "$1" >/dev/null
  awk '/Collected :/ { print $NF }' "$log"
}

one=$(count "$DIR/tasks-1")
thousand=$(count "$DIR/tasks-1000")
per_task=$(( (thousand - one) / 999 ))
printf 'one Task:  %d instructions (I(1))\n' "$one"
printf 'per Task:  %d instructions ((I(1000) - I(1)) / 999; I(1000) = %d)\n' "$per_task" "$thousand"

if [ "$CHECK" = 1 ]; then
  ceiling=scripts/instructions.ceiling
  max_one=$(awk '$1 == "one" { print $2 }' "$ceiling")
  max_per=$(awk '$1 == "per_task" { print $2 }' "$ceiling")
  status=0
  if [ "$one" -gt "$max_one" ]; then
    echo "instructions.sh: one Task costs $one instructions, above the ceiling $max_one ($ceiling)" >&2
    status=1
  fi
  if [ "$per_task" -gt "$max_per" ]; then
    echo "instructions.sh: a Task costs $per_task instructions, above the ceiling $max_per ($ceiling)" >&2
    status=1
  fi
  [ "$status" = 0 ] && echo "within the ceilings of $ceiling (one $max_one, per Task $max_per)"
  exit "$status"
fi
