#!/usr/bin/env bash
# Installs a taskrender release binary for the GitHub Actions runner (used by action.yml):
# downloads the cargo-dist archive for the runner's OS and architecture, checks it against
# the release's `.sha256` file, unpacks it and puts its folder on PATH.
#
#   TASKRENDER_VERSION   `0.1.0`, `v0.1.0` or `latest` (required)
#   TASKRENDER_BASE_URL  where releases live (default: the GitHub releases of the repository);
#                        scripts/dist-check.sh points it at a local folder to test this script
#   RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP, GITHUB_PATH   set by the runner
set -euo pipefail

version="${TASKRENDER_VERSION:?TASKRENDER_VERSION is required}"
base="${TASKRENDER_BASE_URL:-https://github.com/taskrender/taskrender/releases}"

case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
  Linux/X64) target=x86_64-unknown-linux-musl ;;
  Linux/ARM64) target=aarch64-unknown-linux-musl ;;
  macOS/X64) target=x86_64-apple-darwin ;;
  macOS/ARM64) target=aarch64-apple-darwin ;;
  Windows/X64) target=x86_64-pc-windows-msvc ;;
  *) echo "taskrender: no release binary for runner ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}" >&2; exit 1 ;;
esac
case "$target" in
  *windows*) archive="taskrender-$target.zip" ;;
  *) archive="taskrender-$target.tar.xz" ;;
esac

case "$version" in
  latest) url="$base/latest/download" ;;
  v*) url="$base/download/$version" ;;
  *) url="$base/download/v$version" ;;
esac

dest="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/taskrender-$version-$target"
rm -rf "$dest"
mkdir -p "$dest"
cd "$dest"

fetch() { curl --fail --silent --show-error --location --retry 3 --output "$2" "$1"; }
fetch "$url/$archive" "$archive"
fetch "$url/$archive.sha256" "$archive.sha256"

# The .sha256 file is `<hex> *<name>`; compare the hex ourselves (sha256sum on Linux and
# Windows' Git Bash, shasum on macOS).
want="$(cut -d' ' -f1 "$archive.sha256" | tr 'A-F' 'a-f')"
if command -v sha256sum >/dev/null; then
  got="$(sha256sum "$archive" | cut -d' ' -f1)"
else
  got="$(shasum -a 256 "$archive" | cut -d' ' -f1)"
fi
if [ -z "$want" ] || [ "$want" != "$got" ]; then
  echo "taskrender: sha256 mismatch for $archive: release says '$want', download is '$got'" >&2
  exit 1
fi
echo "taskrender: $archive sha256 $got verified"

case "$archive" in
  *.zip) unzip -q "$archive" ;;                      # flat: taskrender.exe
  *) tar -xJf "$archive" && mv "taskrender-$target"/* . ;;  # taskrender-<target>/taskrender
esac
bin="$dest/taskrender"
[ -x "$bin" ] || [ -x "$bin.exe" ] || { echo "taskrender: no binary in $archive" >&2; exit 1; }

"$dest/taskrender" --version
echo "$dest" >> "${GITHUB_PATH:?GITHUB_PATH is set by the runner}"
