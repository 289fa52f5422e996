#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (CI: a short run; see README, "Fuzzing", for long
# ones). Needs a nightly toolchain (libFuzzer's sanitizer flags); installs cargo-fuzz from
# crates.io into ~/.cargo/bin when missing. Without nightly it says so and exits 0 (skipped).
#
# usage: fuzz/run.sh [SECONDS] [TARGET...]     (default: 45 s, every target)
# Corpora: fuzz/corpus/<target>/ (seeded from fixtures/ by fuzz/seed-corpora.sh, grown by
# each run, not committed); crashes: fuzz/artifacts/<target>/ (replay one with
# `cargo +nightly fuzz run TARGET fuzz/artifacts/TARGET/crash-…`). Exit 1 on a crash.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-45}"
shift || true

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz: SKIPPED: no nightly toolchain (cargo-fuzz needs one: rustup toolchain install nightly)"
  exit 0
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz from crates.io (once; cached in ~/.cargo/bin)"
  scripts/cargo-install-fast.sh cargo-fuzz --locked --quiet
fi
echo "fuzz: $(cargo +nightly --version), $(cargo fuzz --version)"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo +nightly fuzz list)
fuzz/seed-corpora.sh
# No sanitizer: the code under test is safe Rust (panics, aborts, timeouts and memory
# blow-ups are what there is to find), and AddressSanitizer makes the build of ~300 crates
# several times slower. FUZZ_SANITIZER=address for a run with it.
sanitizer="${FUZZ_SANITIZER:-none}"
# The instrumented build (~300 crates) is kept where the machine keeps caches, so that a
# fresh clone rebuilds only taskrender and the targets.
target_dir="${FUZZ_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/taskrender/fuzz-target}"
cargo +nightly fuzz build -O -s "$sanitizer" --target-dir "$target_dir"
status=0
for t in "${targets[@]}"; do
  log="$(mktemp)"
  start=$(date +%s)
  # -rss_limit_mb: each run is one process; -timeout: a single input taking > 10 s is a finding.
  # -seed: fixed (FUZZ_SEED, default 1) so that a CI run explores the same inputs from the
  # same seed corpus and its verdict does not depend on luck; long runs should vary it.
  if cargo +nightly fuzz run -O -s "$sanitizer" --target-dir "$target_dir" "$t" -- -max_total_time="$seconds" -timeout=10 \
      -seed="${FUZZ_SEED:-1}" \
      -rss_limit_mb=2048 -print_final_stats=1 > "$log" 2>&1; then
    result=ok
  else
    result=FAILED
    status=1
    grep -E -A30 '^==[0-9]+==|panicked|^SUMMARY|Test unit written' "$log" | head -60
  fi
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  cov="$(grep -Eo 'cov: [0-9]+' "$log" | tail -1)"
  echo "fuzz: $t: $result, ${runs:-?} executions in $(( $(date +%s) - start )) s ($cov)"
  rm -f "$log"
done
exit "$status"
