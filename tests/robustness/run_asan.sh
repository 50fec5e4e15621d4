#!/usr/bin/env bash
# Builds mysqlset with AddressSanitizer + UndefinedBehaviorSanitizer (LeakSanitizer included)
# using the `asan` preset (build-asan/), then runs the unit tests and the integration tests
# there: the integration tests drive the ASan-built `mysqlset` binary.
#   ASAN_INTEGRATION_REGEX: which integration tests to run (ctest -R); default all of them.
#   ASAN_JOBS: ninja -j (default 2).
#   ASAN_PRESET: `asan` (default: gcc, build-asan/) or `fuzz` (clang, build-fuzz/: the libFuzzer
#   build, whose libraries carry the same ASan+UBSan; scripts/test.sh reuses it after the fuzz
#   suite so CI compiles one sanitizer build, not two).
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
regex=${ASAN_INTEGRATION_REGEX:-.}
preset=${ASAN_PRESET:-asan}
case $preset in
  asan) build=build-asan ;;
  fuzz) build=build-fuzz ;;
  *) echo "asan: ASAN_PRESET must be asan or fuzz, not '$preset'" >&2; exit 2 ;;
esac

cmake --preset "$preset" >/dev/null || { echo "asan: configure failed" >&2; exit 1; }
# Build only what runs: mysqlset, every unit test, the chosen integration tests (each CTest
# test is named after its executable target).
tests() { (cd "$build" && ctest -N "$@" | sed -n 's/^ *Test *#[0-9]*: //p'); }
targets=(mysqlset $(tests -L unit) $(tests -L integration -R "$regex"))
ninja -C "$build" -j "${ASAN_JOBS:-2}" "${targets[@]}" >/dev/null ||
  { ninja -C "$build" -j1 "${targets[@]}" | tail -40; echo "asan: build failed" >&2; exit 1; }

# Every process (tests and the mysqlset children they start, whose stderr goes to log files
# in temp dirs) writes its sanitizer reports to $reports; any report fails the suite.
reports=$(mktemp -d /tmp/mysqlset-asan-reports-XXXXXX)
# abort_on_error: a finding fails the process; detect_leaks: LeakSanitizer at exit.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:log_path=$reports/asan
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$reports/ubsan
# Suppressions name third-party libraries only, never mysqlset code.
export LSAN_OPTIONS=suppressions=$root/tests/robustness/lsan.supp:print_suppressions=0

echo "asan: $build (preset $preset)"
cd "$build"
rc=0
ctest -L unit --output-on-failure || rc=1
ctest -L integration -R "$regex" --output-on-failure || rc=1
if compgen -G "$reports/*" >/dev/null; then
  echo "asan: sanitizer reports (kept in $reports):"
  head -n 40 "$reports"/*
  rc=1
else
  rm -rf "$reports"
fi
exit $rc
