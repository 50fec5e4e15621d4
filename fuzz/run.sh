#!/usr/bin/env bash
# Builds the libFuzzer targets (cmake --preset fuzz, build-fuzz/) and runs each one for a
# short time from its seed corpus in fuzz/corpus/<target>/. Prints each target's executions
# and the total; exits non-zero if a target crashed, leaked or hit a CHECK.
#   FUZZ_SECONDS=20 (per target)   FUZZ_JOBS=2 (ninja -j)   FUZZ_BUILD_DIR=build-fuzz
# New inputs found during a run go to a scratch dir, not into the checked-in corpus; to keep
# one, copy it into fuzz/corpus/<target>/. A crash leaves its input in build-fuzz/artifacts/.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
seconds=${FUZZ_SECONDS:-20}
build=${FUZZ_BUILD_DIR:-build-fuzz}
if ! command -v clang++ >/dev/null 2>&1; then
  echo "fuzz: clang++ not installed (bash scripts/setup.sh --tests installs it)" >&2
  exit 1
fi
if [ "$build" = build-fuzz ]; then
  cmake --preset fuzz >/dev/null || { echo "fuzz: configure failed" >&2; exit 1; }
else
  cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DMYSQLSET_FUZZ=ON >/dev/null ||
    { echo "fuzz: configure failed" >&2; exit 1; }
fi
ninja -C "$build" -j "${FUZZ_JOBS:-2}" mysqlset_fuzzers >/dev/null ||
  { ninja -C "$build" -j1 mysqlset_fuzzers | tail -30; echo "fuzz: build failed" >&2; exit 1; }

targets=(fuzz_identity fuzz_gtid fuzz_cnf fuzz_clone_record fuzz_backup_protocol fuzz_status_json
  fuzz_http_request fuzz_xbstream)
scratch=$(mktemp -d /tmp/mysqlset-fuzz-XXXXXX)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$build/artifacts"
total=0
failed=0
for t in "${targets[@]}"; do
  mkdir -p "$scratch/$t"
  log="$scratch/$t.log"
  # -rss_limit_mb guards against unbounded buffering; -timeout against hangs.
  "$build/fuzz/$t" "$scratch/$t" "fuzz/corpus/$t" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
    -artifact_prefix="$build/artifacts/$t-" >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  execs=${execs:-0}
  total=$((total + execs))
  if [ "$rc" -ne 0 ]; then
    failed=$((failed + 1))
    echo "fuzz: $t FAILED after $execs executions (exit $rc):"
    grep -E "ERROR|SUMMARY|CHECK failed|terminate|what\(\)|Test unit written" "$log" | head -20
  else
    cov=$(grep -oE "cov: [0-9]+" "$log" | tail -1)
    echo "fuzz: $t: $execs executions in ${seconds}s, ${cov:-cov: ?}, no findings"
  fi
done
echo "fuzz: ${#targets[@]} targets, $total executions, $failed failed"
[ "$failed" -eq 0 ]
