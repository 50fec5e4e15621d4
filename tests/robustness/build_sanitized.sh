#!/usr/bin/env bash
# Builds, in build-fuzz (clang; ASan + UBSan + libFuzzer's coverage), everything the fuzz and
# asan suites of scripts/test.sh run: the fuzzers, mysqlset, the unit tests and the
# integration tests that run_asan.sh picks (ASAN_INTEGRATION_REGEX). scripts/test.sh starts
# it at nice 19 beside the suites that run real servers: those mostly wait, so this second
# compiler pass costs CI little wall time, and the suites' processes keep their CPU first.
set -uo pipefail
cd "$(dirname "$0")/../.."
regex=${ASAN_INTEGRATION_REGEX:-.}
if ! command -v clang++ >/dev/null 2>&1; then
  echo "sanitized build: clang++ not installed (bash scripts/setup.sh --tests installs it)" >&2
  exit 1
fi
cmake --preset fuzz >/dev/null || { echo "sanitized build: configure failed" >&2; exit 1; }
tests() { (cd build-fuzz && ctest -N "$@" | sed -n 's/^ *Test *#[0-9]*: //p'); }
targets=(mysqlset mysqlset_fuzzers $(tests -L unit) $(tests -L integration -R "$regex"))
start=$SECONDS
ninja -C build-fuzz -j "${SANITIZED_JOBS:-2}" "${targets[@]}" >/dev/null ||
  { echo "sanitized build: failed (fuzz/run.sh and run_asan.sh show the errors)" >&2; exit 1; }
echo "sanitized build: ${#targets[@]} targets in $((SECONDS - start)) s"
