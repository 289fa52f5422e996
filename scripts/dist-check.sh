#!/usr/bin/env bash
# Release checks that can run offline (.ci/run runs this script):
#
#   0. MSRV: no locked dependency needs a newer Rust than `rust-version`.
#   1. cargo-dist: `dist plan` lists the five release archives with their sha256 files and
#      installers; `dist generate --check` finds .github/workflows/release.yml up to date.
#   2. A static build of the host target (`+crt-static`; no musl target is installed here,
#      the release workflow builds musl): `file` and `ldd` see a static executable, and it
#      runs `--version`.
#   3. action.yml's installer (scripts/action-install.sh) against a local fake release made
#      from that binary, laid out as cargo-dist lays out a release: it installs and runs;
#      with a wrong sha256 it refuses.
#   4. hadolint over the Dockerfile, with the referee's configuration.
#
# usage: scripts/dist-check.sh [REFEREE_DIR]   (default: ../shared/referee; needs `dist`,
#        installed by `cargo install cargo-dist --locked`, and the referees' hadolint)
set -euo pipefail
cd "$(dirname "$0")/.."
REFEREE="${1:-../shared/referee}"
VENV="${REFEREE_VENV:-$HOME/.cache/referees}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "dist-check: FAIL: $*" >&2; exit 1; }

# 0. MSRV, as far as one toolchain can tell: no locked dependency declares a newer
#    `rust-version` than ours (clippy's incompatible_msrv lint covers our own std API use).
cargo metadata --format-version 1 --locked > "$work/metadata.json"
python3 - "$work/metadata.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
def v(s):
    return tuple(int(x) for x in s.split("."))[:2]
ours = next(p for p in m["packages"] if p["name"] == "taskrender" and p["source"] is None)
msrv = v(ours["rust_version"])
used = {n["id"] for n in m["resolve"]["nodes"]}
deps = [p for p in m["packages"] if p["id"] in used and p["source"] and p.get("rust_version")]
newer = [f'{p["name"]} {p["version"]} needs {p["rust_version"]}' for p in deps if v(p["rust_version"]) > msrv]
if newer:
    sys.exit(f'MSRV {ours["rust_version"]} is too low: ' + ", ".join(newer))
top = max(deps, key=lambda p: v(p["rust_version"]))
print(f'msrv: {ours["rust_version"]}; highest dependency rust-version: {top["rust_version"]} ({top["name"]} {top["version"]})')
PY

# 1. cargo-dist
dist --version
dist plan --output-format=json --no-local-paths > "$work/plan.json" 2> "$work/plan.err" \
  || { cat "$work/plan.err" >&2; fail "dist plan"; }
python3 - "$work/plan.json" <<'PY'
import json, sys
plan = json.load(open(sys.argv[1]))
version = plan["releases"][0]["app_version"]
names = set(plan["artifacts"])
want = {
    "taskrender-aarch64-apple-darwin.tar.xz",
    "taskrender-x86_64-apple-darwin.tar.xz",
    "taskrender-aarch64-unknown-linux-musl.tar.xz",
    "taskrender-x86_64-unknown-linux-musl.tar.xz",
    "taskrender-x86_64-pc-windows-msvc.zip",
    "taskrender-installer.sh",
    "taskrender-installer.ps1",
}
want |= {a + ".sha256" for a in want if not a.startswith("taskrender-installer")}
missing = sorted(want - names)
if missing:
    sys.exit(f"dist plan: missing artifacts {missing}; planned {sorted(names)}")
print(f"dist plan: taskrender {version}: {len(names)} artifacts, all {len(want)} expected ones")
PY
if [ -f .github/workflows/release.yml ]; then
  dist generate --mode=ci --check || fail "release.yml is stale: run 'dist generate --mode=ci'"
  echo "dist-check: .github/workflows/release.yml is what dist generates"
else
  echo "dist-check: WARNING: .github/workflows/release.yml is missing: run 'dist generate --mode=ci' and commit it"
fi

# 2. static build of the host target
host="$(rustc -vV | sed -n 's/^host: //p')"
RUSTFLAGS='-C target-feature=+crt-static' nice -n 10 \
  cargo build --release --locked --target "$host"
bin="target/$host/release/taskrender"
file "$bin"
file "$bin" | grep -Eq 'statically linked|static-pie linked' || fail "$bin is not static"
if ldd "$bin" > "$work/ldd" 2>&1; then
  grep -q 'statically linked' "$work/ldd" || { cat "$work/ldd"; fail "ldd lists libraries"; }
fi
cat "$work/ldd"
version="$("$bin" --version)"
echo "static binary: $version"
[ "$version" = "taskrender $(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)" ] \
  || fail "--version says '$version'"

# 3. the action's installer against a fake release in cargo-dist's layout
tag="v${version#taskrender }"
rel="$work/releases/download/$tag"
root="taskrender-x86_64-unknown-linux-musl"
mkdir -p "$rel" "$work/pkg/$root"
cp "$bin" "$work/pkg/$root/taskrender"
tar -C "$work/pkg" -cJf "$rel/$root.tar.xz" "$root"
(cd "$rel" && sha256sum --binary "$root.tar.xz" > "$root.tar.xz.sha256")
action_install() {
  env RUNNER_OS=Linux RUNNER_ARCH=X64 RUNNER_TEMP="$work/tmp" GITHUB_PATH="$work/path" \
    TASKRENDER_BASE_URL="file://$work/releases" TASKRENDER_VERSION="$1" \
    bash scripts/action-install.sh
}
mkdir -p "$work/tmp"
: > "$work/path"
action_install "${version#taskrender }"
installed="$(cat "$work/path")/taskrender"
[ "$("$installed" --version)" = "$version" ] || fail "installed binary"
"$installed" check examples/train.yaml
echo 0000000000000000000000000000000000000000000000000000000000000000 "*$root.tar.xz" \
  > "$rel/$root.tar.xz.sha256"
if action_install "$tag" 2> "$work/bad.err"; then fail "installer accepted a wrong sha256"; fi
grep -q 'sha256 mismatch' "$work/bad.err" || { cat "$work/bad.err"; fail "installer error"; }
echo "dist-check: action installer verified the sha256 (and refused a wrong one)"

# 4. hadolint
"$VENV/bin/hadolint" --config "$REFEREE/hadolint.yaml" Dockerfile
echo "dist-check: hadolint clean (Dockerfile: static and alpine targets)"
