#!/usr/bin/env bash
# Server-side dry run of rendered output trees against a real kube-apiserver.
#
# usage: scripts/kube-dry-run.sh DIR|FILE...
#
# Applies every object under the folders (`kubectl apply --dry-run=server`, client-side apply
# as `kubectl apply` does by default, strict field validation) into the namespace each object
# names (objects without one: namespace `taskrender`). Skipped: kustomization.yaml,
# .taskrender-manifest and Dockerfile files. Every namespace is created when missing and
# labelled pod-security.kubernetes.io/{enforce,warn,audit}=restricted (version latest).
#
# Build Jobs (kind Job labelled app.kubernetes.io/component=build and
# app.kubernetes.io/managed-by=taskrender: the kaniko builder runs as root by design) are
# judged against Pod Security *baseline* instead: each is applied with its namespace rewritten
# to a companion namespace `<namespace>-baseline` (hashed when longer than 63 characters)
# labelled baseline the same way. Nothing else about the object changes.
#
# Pod Security enforcement applies to Pods; for workloads (Job, Deployment, ...) the server
# answers a violation with a *warning*. Every warning (Pod Security, deprecated API or field,
# ...) therefore counts as a rejection, unless it matches a line of
# tests/apiserver-allowed-warnings.txt (`REGEX # reason`; the reason is required).
#
# Output: one line per rejected object, `rejected FILE[#DOC]: Kind/name in NAMESPACE: MESSAGE`,
# then exactly `apiserver: N accepted, M rejected` as the last line. Exit status: 0 when none
# was rejected, 1 when some were, 2 when the run itself failed.
#
# Speed: objects are applied in batches (one `kubectl apply -f DIR` per chunk of up to 2000
# objects of one namespace, $KUBE_DRY_RUN_JOBS in parallel, default: number of CPUs); the
# kubectl built by scripts/apiserver.sh has a batch mode (no client-side rate limit, every
# warning printed in order) so that each result and warning is attributed to its object.
# Any other kubectl (e.g. the official one) is refused with exit status 2: its warnings go to
# stderr, once each, and the objects they belong to would pass.
#
# Server: uses the one of $TASKRENDER_APISERVER_STATE (see scripts/apiserver.sh) when it is
# running; otherwise starts a private one for this run and stops it at the end.
# KUBE_DRY_RUN_APPLY_FLAGS: extra `kubectl apply` flags (e.g. --server-side).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
[ $# -ge 1 ] || { echo "usage: $0 DIR|FILE..." >&2; exit 2; }

py=python3
if ! "$py" -c 'import yaml' 2>/dev/null; then
  py="${REFEREE_VENV:-$HOME/.cache/referees}/bin/python"
  "$py" -c 'import yaml' 2>/dev/null || { echo "kube-dry-run: needs PyYAML (pip install pyyaml)" >&2; exit 2; }
fi

if ! "$here/apiserver.sh" status 2>/dev/null; then
  TASKRENDER_APISERVER_STATE="$(mktemp -d "${TMPDIR:-/tmp}/taskrender-apiserver.XXXXXX")"
  export TASKRENDER_APISERVER_STATE
  trap '"$here/apiserver.sh" stop >/dev/null 2>&1 || true' EXIT
  "$here/apiserver.sh" start
fi
eval "$("$here/apiserver.sh" env)"

flags=()
for f in ${KUBE_DRY_RUN_APPLY_FLAGS:-}; do flags+=("--apply-flag=$f"); done
status=0
"$py" "$here/kube_dry_run.py" --allow "$root/tests/apiserver-allowed-warnings.txt" \
  --jobs "${KUBE_DRY_RUN_JOBS:-$(nproc)}" ${flags[@]+"${flags[@]}"} "$@" || status=$?
exit "$status"
