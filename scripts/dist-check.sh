#!/usr/bin/env bash
# Release checks that can run offline (.ci/run runs each step as a group of its own):
#
#   msrv      no locked dependency needs a newer Rust than `rust-version`.
#   plan      cargo-dist: `dist plan` lists the five release archives with their sha256 files
#             and installers, named as `[package.metadata.binstall]` in Cargo.toml makes
#             cargo-binstall look for them; `dist generate --check` finds
#             .github/workflows/release.yml up to date.
#   static    a static build of the host target (`+crt-static`; no musl target can be
#             installed here, the release workflow builds musl): `file` and `ldd` see a static
#             executable, and it runs `--version`.
#   action    action.yml's installer (scripts/action-install.sh) against a local fake release
#             made from that binary, laid out as cargo-dist lays out a release: it installs and
#             runs; with a wrong sha256 it refuses.
#   hadolint  hadolint over the Dockerfile, with the referee's configuration.
#
# usage: scripts/dist-check.sh [REFEREE_DIR] [STEP...]   (default: every step, and
#        ../shared/referee for hadolint's configuration). `plan` needs `dist` on PATH
#        (scripts/ci-tools.sh builds it), `hadolint` the referees' venv.
#
# The static build goes to $CARGO_TARGET_DIR when set (.ci/run keeps one release target
# folder in the cache, so that a warm run recompiles only taskrender; scripts/wheel-test.sh
# reuses the same build).
set -euo pipefail
cd "$(dirname "$0")/.."
REFEREE=../shared/referee
steps=()
for arg in "$@"; do
  case "$arg" in
    msrv | plan | static | action | hadolint) steps+=("$arg") ;;
    *) REFEREE="$arg" ;;
  esac
done
[ "${#steps[@]}" -gt 0 ] || steps=(msrv plan static action hadolint)
VENV="${REFEREE_VENV:-$HOME/.cache/referees}"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "dist-check: FAIL: $*" >&2; exit 1; }
want_step() { local s; for s in "${steps[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }
cargo_version="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)"

step_msrv() {
  # As far as one toolchain can tell: no locked dependency declares a newer `rust-version`
  # than ours (clippy's incompatible_msrv lint covers our own std API use).
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
}

step_plan() {
  command -v dist > /dev/null || fail "no 'dist' on PATH (scripts/ci-tools.sh builds it)"
  local pin
  pin="$(sed -n 's/^cargo-dist-version = "\(.*\)"$/\1/p' dist-workspace.toml)"
  grep -q " $pin\$" <<< "$(dist --version)" || fail "dist is $(dist --version), dist-workspace.toml pins $pin"
  dist plan --output-format=json --no-local-paths > "$work/plan.json" 2> "$work/plan.err" \
    || { cat "$work/plan.err" >&2; fail "dist plan"; }
  # Every archive, checksum and installer is planned; the archive names and the path of the
  # binary inside each archive are what cargo-binstall computes from Cargo.toml's
  # [package.metadata.binstall] (its templates, rendered here as binstall renders them).
  python3 - "$work/plan.json" <<'PY'
import json, sys, tomllib
plan = json.load(open(sys.argv[1]))
cargo = tomllib.load(open("Cargo.toml", "rb"))["package"]
version = plan["releases"][0]["app_version"]
if version != cargo["version"]:
    sys.exit(f"dist plan: version {version}, Cargo.toml says {cargo['version']}")
arts = plan["artifacts"]
targets = [
    "aarch64-apple-darwin",
    "x86_64-apple-darwin",
    "aarch64-unknown-linux-musl",
    "x86_64-unknown-linux-musl",
    "x86_64-pc-windows-msvc",
]
want = {f"taskrender-{t}" + (".zip" if "windows" in t else ".tar.xz") for t in targets}
want |= {a + ".sha256" for a in want}
want |= {"taskrender-installer.sh", "taskrender-installer.ps1"}
missing = sorted(want - set(arts))
if missing:
    sys.exit(f"dist plan: missing artifacts {missing}; planned {sorted(arts)}")

# The release workflow runs `cargo build --profile dist`, which fails without the profile.
profile = tomllib.load(open("Cargo.toml", "rb")).get("profile", {}).get("dist", {})
if profile.get("inherits") != "release":
    sys.exit("Cargo.toml has no [profile.dist] inheriting release (cargo-dist builds with it)")

binstall = cargo["metadata"]["binstall"]
suffix = {"txz": ".tar.xz", "tgz": ".tar.gz", "zip": ".zip", "bin": ""}
def render(template, values):
    out = template
    for k, val in values.items():
        out = out.replace("{ " + k + " }", val).replace("{" + k + "}", val)
    if "{" in out:
        sys.exit(f"binstall template {template!r}: unknown placeholder left in {out!r}")
    return out
checked = 0
for t in targets:
    meta = {**binstall, **binstall.get("overrides", {}).get(t, {})}
    values = {
        "repo": cargo["repository"], "name": cargo["name"], "version": version,
        "target": t, "archive-suffix": suffix[meta["pkg-fmt"]], "bin": "taskrender",
        "binary-ext": ".exe" if "windows" in t else "",
    }
    url = render(meta["pkg-url"], values)
    release = f'{cargo["repository"]}/releases/download/v{version}/'
    if not url.startswith(release):
        sys.exit(f"binstall {t}: {url} is not under {release}")
    name = url[len(release):]
    art = arts.get(name)
    if art is None or art.get("kind") != "executable-zip" or art.get("target_triples") != [t]:
        sys.exit(f"binstall {t}: looks for {name}, which dist does not plan as the {t} archive")
    exe = [a["path"] for a in art["assets"] if a.get("kind") == "executable"]
    # cargo-dist puts tarballs' files under a folder named like the archive, zips flat.
    root = "" if name.endswith(".zip") else name.removesuffix(values["archive-suffix"]) + "/"
    inside = [root + p for p in exe]
    bin_dir = render(meta["bin-dir"], values)
    if inside != [bin_dir]:
        sys.exit(f"binstall {t}: bin-dir {bin_dir!r}, but {name} holds {inside}")
    checked += 1
print(f"dist plan: taskrender {version}: {len(arts)} artifacts, all {len(want)} expected ones;"
      f" cargo-binstall's archive name and bin-dir match for {checked} targets")
PY
  [ -f .github/workflows/release.yml ] \
    || fail ".github/workflows/release.yml is missing: run 'dist generate --mode=ci' and commit it"
  dist generate --mode=ci --check || fail "release.yml is stale: run 'dist generate --mode=ci'"
  echo "dist-check: .github/workflows/release.yml is what dist $pin generates"
}

source scripts/static.sh
bin="$TARGET_DIR/$STATIC_TARGET/release/taskrender"
static_build() {
  local start=$SECONDS
  RUSTFLAGS="$STATIC_RUSTFLAGS" nice -n 10 \
    cargo build --release --locked --target "$STATIC_TARGET"
  echo "dist-check: static release build: $((SECONDS - start)) s"
}

step_static() {
  static_build
  file "$bin"
  file "$bin" | grep -Eq 'statically linked|static-pie linked' || fail "$bin is not static"
  if ldd "$bin" > "$work/ldd" 2>&1; then
    grep -q 'statically linked' "$work/ldd" || { cat "$work/ldd"; fail "ldd lists libraries"; }
  fi
  echo "ldd: $(cat "$work/ldd")"
  local version
  version="$("$bin" --version)"
  echo "static binary: $version"
  [ "$version" = "taskrender $cargo_version" ] || fail "--version says '$version'"
}

step_action() {
  # The action's installer against a fake release in cargo-dist's layout.
  [ -x "$bin" ] || static_build
  local tag="v$cargo_version"
  local rel="$work/releases/download/$tag"
  local root="taskrender-x86_64-unknown-linux-musl"
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
  action_install "$cargo_version"
  local installed
  installed="$(cat "$work/path")/taskrender"
  [ "$("$installed" --version)" = "taskrender $cargo_version" ] || fail "installed binary"
  "$installed" check examples/train.yaml
  echo 0000000000000000000000000000000000000000000000000000000000000000 "*$root.tar.xz" \
    > "$rel/$root.tar.xz.sha256"
  if action_install "$tag" 2> "$work/bad.err"; then fail "installer accepted a wrong sha256"; fi
  grep -q 'sha256 mismatch' "$work/bad.err" || { cat "$work/bad.err"; fail "installer error"; }
  echo "dist-check: action installer verified the sha256 (and refused a wrong one)"
}

step_hadolint() {
  [ -x "$VENV/bin/hadolint" ] || fail "no hadolint in $VENV (install the referees: $REFEREE/install.sh)"
  "$VENV/bin/hadolint" --version
  "$VENV/bin/hadolint" --config "$REFEREE/hadolint.yaml" Dockerfile
  echo "dist-check: hadolint clean (Dockerfile: static and alpine targets)"
}

for s in msrv plan static action hadolint; do
  if want_step "$s"; then "step_$s"; fi
done
