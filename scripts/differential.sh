#!/usr/bin/env bash
# Differential test: whatever `taskrender check` accepts, kube-apiserver must accept.
#
# usage: scripts/differential.sh [N]        (default N: 10000)
#
# Generates N random Tasks (scripts/random_tasks.py, seed $DIFFERENTIAL_SEED, default: the
# current time, printed so that a run can be repeated), renders them with
# `taskrender render -o` (Tasks `check` refuses are set aside and counted, not rendered),
# and sends the output through scripts/kube-dry-run.sh
# (Pod Security restricted; build Jobs baseline). Each rejected object is printed with the
# Task that caused it; the Tasks behind rejections are kept in $DIFFERENTIAL_KEEP (default:
# a new directory under ${TMPDIR:-/tmp}, printed). Last line:
#   differential: N Tasks, C refused by check, A rendered: apiserver: X accepted, Y rejected
# Exit 1 when the server rejected any object.
#
# TASKRENDER: the binary to test (default: target/debug/taskrender, built with `cargo build`
# as `cargo test` builds it; a release binary is faster to run but slower to build).
# Replay one seed: DIFFERENTIAL_SEED=S scripts/differential.sh N (same N: Task i depends
# only on the seed and i; `random_tasks.py --seed S --start i --count 1 DIR` rewrites one).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/.."
n="${1:-10000}"
seed="${DIFFERENTIAL_SEED:-$(date +%s)}"
bin="${TASKRENDER:-target/debug/taskrender}"
if [ -z "${TASKRENDER:-}" ]; then
  cargo build --locked --quiet
fi
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
work="$(mktemp -d "${TMPDIR:-/tmp}/differential.XXXXXX")"
trap 'rm -rf "$work"' EXIT
start=$(date +%s)

echo "differential: $n Tasks, seed $seed (repeat: DIFFERENTIAL_SEED=$seed $0 $n)"
python3 "$here/random_tasks.py" --seed "$seed" --count "$n" "$work/tasks"

# Render (which checks first) in one process. When check refuses some Tasks, nothing is
# written: those files are moved aside (counted, their most common reasons printed; the
# generator aims at valid Tasks, so this should stay small) and the rest rendered again.
# Profile variable: the gpu-a100 profile's `gpus`, varied with the seed.
set_gpus="gpus=$(( seed % 4 + 1 ))"
mkdir -p "$work/refused"
render() {
  "$bin" render "$work/tasks" -o "$work/out" --set "$set_gpus" --format json >/dev/null 2>"$work/render.jsonl"
}
if ! render; then
  python3 - "$work/render.jsonl" "$work/tasks" "$work/refused" <<'PY'
import collections, json, os, sys
report, tasks, refused = sys.argv[1:]
files, reasons = set(), collections.Counter()
for line in open(report, encoding="utf-8"):
    try:
        d = json.loads(line)
    except ValueError:
        continue
    if d.get("severity", "error") != "error":
        continue
    reasons[d.get("code", "?") + ": " + str(d.get("message", ""))[:100]] += 1
    f = d.get("file") or ""
    if f:
        files.add(os.path.basename(f))
moved = 0
for f in sorted(files):
    if os.path.exists(os.path.join(tasks, f)):
        os.rename(os.path.join(tasks, f), os.path.join(refused, f))
        moved += 1
print(f"differential: {moved} refused by check; most common reasons:")
for k, v in reasons.most_common(8):
    print(f"  {v:6d}  {k}")
PY
  if ! render; then
    head -40 "$work/render.jsonl"
    echo "differential: render failed on Tasks that check accepted" >&2
    exit 2
  fi
fi
refused=$(find "$work/refused" -type f | wc -l)
accepted=$(find "$work/tasks" -type f | wc -l)
echo "differential: rendered in $(( $(date +%s) - start )) s"
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
echo "differential: $(( $(date +%s) - start )) s in all"
echo "differential: $n Tasks, $refused refused by check, $accepted rendered: $summary"
exit "$status"
