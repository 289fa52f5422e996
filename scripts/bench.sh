#!/usr/bin/env bash
# Whole-process benchmark: render N generated Tasks (../shared/bench-peers/gen_tasks.py,
# one Task per file) with the release build, RUNS times, and print each wall time and
# the median. `--jobs-only` keeps only the `action: job` Tasks (generating 2N and taking N).
#
# usage: scripts/bench.sh [N] [RUNS] [--jobs-only]     (default: 10000 5)
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-10000}"; RUNS="${2:-5}"; MODE="${3:-}"
GEN=../shared/bench-peers/gen_tasks.py
cargo build --release --locked --quiet
dir="target/bench/tasks-$N${MODE:+-jobs}"
if [ ! -d "$dir" ]; then
  if [ "$MODE" = --jobs-only ]; then
    python3 "$GEN" $((2 * N)) "$dir.all" >/dev/null
    mkdir -p "$dir"
    grep -l '^action: job' "$dir.all"/*.yaml | head -n "$N" | xargs cp -t "$dir"
    rm -rf "$dir.all"
  else
    python3 "$GEN" "$N" "$dir" >/dev/null
  fi
fi
echo "input: $(find "$dir" -maxdepth 1 -name "*.yaml" | wc -l) Task files in $dir; $(nproc) cores"
times=()
for _ in $(seq "$RUNS"); do
  start=$(date +%s.%N)
  ./target/release/taskrender render "$dir" > target/bench/out.yaml
  end=$(date +%s.%N)
  times+=("$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')")
done
printf 'run: %.3f s\n' "${times[@]}"
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "median: %.3f s for %d runs; output %d bytes\n", a[int((NR+1)/2)], NR, 0}' | sed "s/output 0 bytes/output $(wc -c < target/bench/out.yaml) bytes/"
