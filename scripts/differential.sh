#!/usr/bin/env bash
# Differential test: whatever `taskrender check` accepts, kube-apiserver must accept.
#
# usage: scripts/differential.sh [N]        (default N: 10000)
#
# Generates N random Tasks (scripts/random_tasks.py, seed $DIFFERENTIAL_SEED, default: the
# current time, printed so that a run can be repeated), runs `taskrender check` on them
# (Tasks check refuses are set aside and counted, not rendered), renders the accepted ones
# with `taskrender render -o`, and sends the output through scripts/kube-dry-run.sh
# (Pod Security restricted; build Jobs baseline). Each rejected object is printed with the
# Task that caused it; the Tasks behind rejections are kept in $DIFFERENTIAL_KEEP (default:
# a new directory under ${TMPDIR:-/tmp}, printed). Last line:
#   differential: N Tasks, C refused by check, A rendered: apiserver: X accepted, Y rejected
# Exit 1 when the server rejected any object.
#
# TASKRENDER: the binary to test (default: target/release/taskrender, built when missing).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/.."
n="${1:-10000}"
seed="${DIFFERENTIAL_SEED:-$(date +%s)}"
bin="${TASKRENDER:-target/release/taskrender}"
if [ -z "${TASKRENDER:-}" ]; then
  nice -n 10 cargo build --release --locked --quiet
fi
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
work="$(mktemp -d "${TMPDIR:-/tmp}/differential.XXXXXX")"
trap 'rm -rf "$work"' EXIT
start=$(date +%s)

echo "differential: $n Tasks, seed $seed (repeat: DIFFERENTIAL_SEED=$seed $0 $n)"
python3 "$here/random_tasks.py" --seed "$seed" --count "$n" "$work/tasks"

# check: one process over all files; each refused file is moved aside.
mkdir -p "$work/refused"
"$bin" check "$work/tasks" --format json > "$work/check.jsonl" 2>&1 || true
python3 - "$work/check.jsonl" "$work/tasks" "$work/refused" <<'PY'
import json, os, sys
report, tasks, refused = sys.argv[1:]
files = set()
for line in open(report, encoding="utf-8"):
    try:
        d = json.loads(line)
    except ValueError:
        continue
    if d.get("severity", "error") != "error":
        continue
    f = d.get("file") or d.get("path") or ""
    if f:
        files.add(os.path.basename(f))
for f in sorted(files):
    if os.path.exists(os.path.join(tasks, f)):
        os.rename(os.path.join(tasks, f), os.path.join(refused, f))
PY
refused=$(find "$work/refused" -type f | wc -l)
accepted=$(find "$work/tasks" -type f | wc -l)
# What check refuses most (the generator aims at valid Tasks: this should stay small).
if [ "$refused" -gt 0 ]; then
  echo "differential: $refused refused by check; most common reasons:"
  python3 -c '
import json, sys, collections
c = collections.Counter()
for line in open(sys.argv[1], encoding="utf-8"):
    try: d = json.loads(line)
    except ValueError: continue
    c[d.get("code", "?") + ": " + str(d.get("message", ""))[:100]] += 1
for k, v in c.most_common(8): print(f"  {v:6d}  {k}")
' "$work/check.jsonl"
fi

if ! "$bin" render "$work/tasks" -o "$work/out" >/dev/null 2>"$work/render.txt"; then
  head -40 "$work/render.txt"
  echo "differential: render failed on Tasks that check accepted" >&2
  exit 1
fi
status=0
"$here/kube-dry-run.sh" "$work/out" > "$work/dry-run.txt" || status=$?
[ "$status" -le 1 ] || { cat "$work/dry-run.txt"; echo "differential: kube-dry-run failed" >&2; exit 2; }
summary="$(tail -1 "$work/dry-run.txt")"

if [ "$status" = 1 ]; then
  keep="${DIFFERENTIAL_KEEP:-$(mktemp -d "${TMPDIR:-/tmp}/differential-rejected.XXXXXX")}"
  mkdir -p "$keep"
  # Output trees are out/<task name>/...; the Task name ends in -<index>, its file is
  # task-<index>.yaml.
  grep '^rejected ' "$work/dry-run.txt" | while IFS= read -r line; do
    rel="${line#rejected "$work/out/"}"
    task_name="${rel%%/*}"
    idx="${task_name##*-}"
    file="$(printf 'task-%06d.yaml' "$((10#$idx))")"
    cp "$work/tasks/$file" "$keep/" 2>/dev/null || true
    echo "${line/"$work/out/"/} [Task $keep/$file]"
  done
  echo "differential: the Tasks behind the rejections are in $keep"
fi
echo "differential: $(( $(date +%s) - start )) s"
echo "differential: $n Tasks, $refused refused by check, $accepted rendered: $summary"
exit "$status"
