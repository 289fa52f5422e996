#!/usr/bin/env bash
# The Python wheel (pyproject.toml: maturin, `bindings = "bin"`), tested as a user gets it:
#
#   1. maturin builds the wheel (static host binary, with the RUSTFLAGS and target of
#      scripts/static.sh, as scripts/dist-check.sh's static build: with the same
#      $CARGO_TARGET_DIR, as .ci/run sets it, the two share one build);
#   2. it is installed into a fresh venv, and `taskrender` from that venv checks an example
#      and fails on a broken Task;
#   3. the pre-commit hook repository (`pre-commit-hook/`) pins this version, and
#      pre-commit installs and runs its `taskrender-check` hook against a scratch repository
#      with nothing but that wheel (no index, no cargo on PATH): nothing is compiled.
#
# Tools (maturin, pre-commit) come from PyPI into a cached venv
# ($TASKRENDER_TOOLS_VENV, default ~/.cache/taskrender-ci/py-tools).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
TOOLS="${TASKRENDER_TOOLS_VENV:-$HOME/.cache/taskrender-ci/py-tools}"
MATURIN_VERSION=1.16.0
PRE_COMMIT_VERSION=4.7.0
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "wheel-test: FAIL: $*" >&2; exit 1; }
version="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)"

if ! grep -qx "maturin $MATURIN_VERSION" <<< "$("$TOOLS/bin/maturin" --version 2>/dev/null)" \
  || ! grep -qx "pre-commit $PRE_COMMIT_VERSION" <<< "$("$TOOLS/bin/pre-commit" --version 2>/dev/null)"; then
  python3 -m venv --clear "$TOOLS"
  "$TOOLS/bin/pip" install --disable-pip-version-check -q \
    "maturin==$MATURIN_VERSION" "pre-commit==$PRE_COMMIT_VERSION"
fi
"$TOOLS/bin/maturin" --version

# 1. build
source scripts/static.sh
start=$SECONDS
RUSTFLAGS="$STATIC_RUSTFLAGS" nice -n 10 \
  "$TOOLS/bin/maturin" build --release --locked --target "$STATIC_TARGET" --out "$work/wheels"
echo "wheel-test: maturin build: $((SECONDS - start)) s"
wheel="$(ls "$work"/wheels/taskrender-"$version"-*.whl)"
echo "wheel-test: built $(basename "$wheel") ($(du -k "$wheel" | cut -f1) KiB)"
# The listing is taken whole before it is searched: `cmd | grep -q` under pipefail fails
# when grep exits at the first match while cmd is still writing (SIGPIPE).
listing="$(python3 -m zipfile -l "$wheel")"
grep -q "taskrender-$version.data/scripts/taskrender" <<< "$listing" \
  || fail "the wheel carries no taskrender script"

# 2. a fresh venv
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --disable-pip-version-check -q --no-index "$wheel"
tr="$work/venv/bin/taskrender"
[ "$("$tr" --version)" = "taskrender $version" ] || fail "--version"
(cd "$work" && "$tr" check "$ROOT/examples/train.yaml") || fail "check examples/train.yaml"
printf 'name: bad\naction: job\nreplica: 2\nfunction: {image: a:1}\n' > "$work/bad.yaml"
set +e
"$tr" check "$work/bad.yaml" 2> "$work/bad.err"
code=$?
set -e
if [ "$code" != 1 ] || ! grep -q 'unknown key' "$work/bad.err"; then
  fail "a broken Task: exit $code"
fi
echo "wheel-test: the venv's taskrender checks examples/train.yaml and rejects a broken Task"

# 3. the pre-commit hook repository
grep -q "\"taskrender==$version\"" pre-commit-hook/pyproject.toml \
  || fail "pre-commit-hook/pyproject.toml does not pin taskrender==$version"
grep -q "^version = \"$version\"" pre-commit-hook/pyproject.toml \
  || fail "pre-commit-hook/pyproject.toml's version is not $version"
# Everything pip may need, as local files: the wheel and setuptools (the hook repository's
# build backend).
"$TOOLS/bin/pip" download --disable-pip-version-check -q --no-deps -d "$work/wheels" \
  "setuptools>=64"
hooks="$work/hook-repo"
cp -R pre-commit-hook "$hooks"
git -C "$hooks" init -q
git -C "$hooks" add -A
git -C "$hooks" -c user.name=ci -c user.email=ci@localhost commit -q -m hooks
user="$work/user-repo"
mkdir -p "$user/tasks"
git -C "$user" init -q
cp examples/train.yaml "$user/tasks/"
cat > "$user/.pre-commit-config.yaml" <<YAML
repos:
  - repo: $hooks
    rev: $(git -C "$hooks" rev-parse HEAD)
    hooks:
      - id: taskrender-check
        files: ^tasks/
YAML
git -C "$user" add -A
run_hooks() {
  (cd "$user" && env -i HOME="$HOME" PATH="/usr/bin:/bin" CARGO=/bin/false \
    PRE_COMMIT_HOME="$work/pre-commit-home" PIP_NO_INDEX=1 PIP_FIND_LINKS="$work/wheels" \
    "$TOOLS/bin/pre-commit" run --all-files --color never)
}
if PATH=/usr/bin:/bin command -v cargo >/dev/null; then fail "cargo in /usr/bin or /bin: the no-compiler proof needs a PATH without it"; fi
run_hooks > "$work/hooks.out" 2>&1 || { cat "$work/hooks.out"; fail "pre-commit hook"; }
grep -q '^taskrender check.*Passed' "$work/hooks.out" || { cat "$work/hooks.out"; fail "hook output"; }
cp "$work/bad.yaml" "$user/tasks/bad.yaml"
git -C "$user" add -A
if run_hooks > "$work/hooks.out" 2>&1; then cat "$work/hooks.out"; fail "hook passed a broken Task"; fi
grep -q 'unknown key' "$work/hooks.out" || { cat "$work/hooks.out"; fail "hook diagnostics"; }
echo "wheel-test: pre-commit installed taskrender-check from the wheel (no index, no cargo):"
echo "wheel-test: it passes tasks/train.yaml and fails tasks/bad.yaml"
