#!/usr/bin/env bash
# Renders every reference-platform Task spec (fixtures/platform-specs/*.yaml, one file at a
# time: the platform's examples reuse function names) and runs the third-party referees over
# the result, with the project's checkov exceptions.
#
# The specs are the platform users' own words, kept verbatim, and some of their build
# `instructions` break Dockerfile lint rules (`pip install` without `--no-cache-dir`,
# `apt-get update` alone). A build's Dockerfile is `FROM <base_image>`, `WORKDIR /shared`,
# `COPY . /shared` (taskrender's lines) and then one line per `instructions` item. So after
# the referees, this script sorts every hadolint and checkov finding on a Dockerfile:
#   - on lines 1-3 (taskrender's own): a failure of taskrender;
#   - on line 3+i (the Task's instructions[i]): the user's, and it must be reported by
#     `taskrender check` as a `lint::dockerfile` warning naming that item and the same rule
#     id; one that check does not report is a failure of taskrender.
# Exit 0 when taskrender's lines are clean and every user-line finding is reported, whatever
# the referees' own verdicts on the users' lines.
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
  "$bin" render --profiles fixtures/platform-specs/profiles --namespace "$stem" "$spec" -o "$work/trees/$stem" 2>/dev/null
  "$bin" check --format json --profiles fixtures/platform-specs/profiles "$spec" >"$work/check-$stem.json" 2>&1 || true
  n=$((n + 1))
done
echo "referee-platform: $n platform specs rendered"
default_skips="$(sed -n 's/^DEFAULT_CHECKOV_SKIP="\(.*\)"$/\1/p' "$REFEREE/check.sh")"
project_skips="$(grep -o '^CKV[0-9A-Z_]*' tests/checkov-skips.txt | paste -sd, -)"
export REFEREE_CHECKOV_SKIP="${default_skips}${project_skips:+,$project_skips}"
set +e
"$REFEREE/check.sh" "$work/trees" | tee "$work/referee.out"
referee_rc="${PIPESTATUS[0]}"
set -e

python3 - "$work" "$referee_rc" <<'PY'
import json, pathlib, re, sys

work = pathlib.Path(sys.argv[1])
referee_rc = int(sys.argv[2])
OWN = 3  # FROM, WORKDIR, COPY: taskrender's lines
text = (work / "referee.out").read_text()

findings = set()  # (stem, task, line, rule)
# hadolint on the Dockerfile files (the embedded copies in ConfigMaps are the same bytes)
for m in re.finditer(r"^([^/\s]+)/([^/\s]+)/Dockerfile:(\d+) (DL\d+|SC\d+) (\w+)", text, re.M):
    if m.group(5) == "info":
        continue  # info findings do not fail hadolint (hadolint.yaml)
    findings.add((m.group(1), m.group(2), int(m.group(3)), m.group(4)))
# checkov: "Check: CKV_…" then "File: /<stem>/<task>/Dockerfile:<from>-<to>"
rule = None
for line in text.splitlines():
    m = re.match(r"Check: (CKV\w+):", line.strip())
    if m:
        rule = m.group(1)
        continue
    m = re.match(r"File: /([^/\s]+)/([^/\s]+)/Dockerfile:(\d+)-(\d+)", line.strip())
    if m and rule and rule.startswith("CKV_DOCKER"):
        for n in range(int(m.group(3)), int(m.group(4)) + 1):
            findings.add((m.group(1), m.group(2), n, rule))

ours, reported, unreported = [], [], []
for stem, task, line, rule in sorted(findings):
    where = f"{stem}/{task}/Dockerfile:{line} {rule}"
    if line <= OWN:
        ours.append(where)
        continue
    item = line - OWN - 1
    warnings = []
    for raw in (work / f"check-{stem}.json").read_text().splitlines():
        try:
            d = json.loads(raw)
        except ValueError:
            continue
        if d.get("code") == "lint::dockerfile":
            warnings.append(d)
    hit = [d for d in warnings
           if f"`instructions[{item}]`" in d["message"] and d["message"].endswith(f"({rule})")]
    if hit:
        reported.append(f"{where} -> check: {hit[0]['file']}:{hit[0]['line']} instructions[{item}]")
    else:
        unreported.append(f"{where} (instructions[{item}])")

print()
print("=== referee-platform: whose lines the Dockerfile findings are on")
for r in reported:
    print("  user line, reported by check:", r)
for r in unreported:
    print("  user line, NOT reported by check:", r)
for r in ours:
    print("  taskrender's own line:", r)
print(f"referee-platform: referees exit {referee_rc}; Dockerfile findings: "
      f"{len(ours)} on taskrender's lines, {len(reported) + len(unreported)} on users' "
      f"instructions ({len(reported)} reported by `taskrender check` at the Task line, "
      f"{len(unreported)} not)")
# Anything the referees failed on that is not a Dockerfile finding is taskrender's too.
verdicts = re.findall(r"^referee (\S+)\s+(PASS|FAIL)", text, re.M)
other_fail = [name for name, v in verdicts if v == "FAIL" and name not in ("hadolint", "checkov")]
if "checkov" in dict(verdicts) and dict(verdicts)["checkov"] == "FAIL":
    # checkov fails only on Dockerfile findings above, or on Kubernetes ones: count those
    k8s = re.search(r"kubernetes scan results:\s*\nPassed checks: \d+, Failed checks: (\d+)", text)
    if k8s and int(k8s.group(1)) > 0:
        other_fail.append("checkov (kubernetes)")
if other_fail:
    print("referee-platform: FAIL: referees failed outside users' Dockerfile lines:", ", ".join(other_fail))
sys.exit(1 if ours or unreported or other_fail else 0)
PY
