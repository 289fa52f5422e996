#!/usr/bin/env bash
# Writes every manual page into DIR: taskrender.1 and one page per subcommand
# (taskrender-render.1, …, taskrender-profiles-show.1), as `taskrender man …` prints them.
# usage: scripts/man-pages.sh DIR [TASKRENDER]
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 DIR [TASKRENDER]" >&2; exit 2; }
dir="$1"
bin="${2:-taskrender}"
mkdir -p "$dir"
"$bin" man > "$dir/taskrender.1"
for sub in render diff check import schema explain man version completions; do
  "$bin" man "$sub" > "$dir/taskrender-$sub.1"
done
"$bin" man profiles > "$dir/taskrender-profiles.1"
for sub in list show; do
  "$bin" man profiles "$sub" > "$dir/taskrender-profiles-$sub.1"
done
echo "man-pages: $(find "$dir" -name '*.1' | wc -l) pages in $dir"
