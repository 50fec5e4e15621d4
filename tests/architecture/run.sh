#!/usr/bin/env bash
# The code's shape, checked: (1) clang-format has nothing to change in src/, tests/ and fuzz/;
# (2) the library graph CMake links (cmake --graphviz) is exactly the one drawn in
# docs/architecture.dot; (3) no source file includes a header from a folder its library does
# not depend on (directly or through others), so the picture is also true of the #includes;
# (4) processes are started only in posix/.
# Usage: tests/architecture/run.sh [BUILD_DIR]   (default: build)
set -uo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
failed=0
fail() { echo "architecture: $*"; failed=1; }

# --- 1. formatting
files=$(git ls-files 'src/*.h' 'src/*.cc' 'tests/*.h' 'tests/*.cc' 'fuzz/*.cc' 2>/dev/null ||
  find src tests fuzz -name '*.h' -o -name '*.cc')
if ! clang-format --dry-run -Werror $files 2>/tmp/clang-format.$$; then
  grep -o '^[^:]*:[0-9]*' /tmp/clang-format.$$ | sort -u | head -20 | sed 's/^/  not formatted: /'
  fail "clang-format would change the files above: run clang-format -i on them"
fi
rm -f /tmp/clang-format.$$

# --- 2. link graph == docs/architecture.dot
# Edges "a -> b" between our libraries (mysqlset_*, and the mysqlset binary), one per line.
dot_edges() {  # FILE: edges written as  "a" -> "b"  or  a -> b  in a hand-written dot file
  sed -n 's/^[[:space:]]*"\{0,1\}\([a-z_]*\)"\{0,1\}[[:space:]]*->[[:space:]]*"\{0,1\}\([a-z_]*\)"\{0,1\}.*/\1 -> \2/p' "$1" |
    grep -E '^mysqlset[a-z_]* -> mysqlset[a-z_]*$' | sort -u
}
cmake_edges() {  # the graph CMake generates: lines ending in  // from -> to
  sed -n 's#.*// \(mysqlset[a-z_]*\) -> \(mysqlset[a-z_]*\)$#\1 -> \2#p' "$1" | sort -u
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! (cd "$build" 2>/dev/null && cmake --graphviz="$tmp/cmake.dot" . >/dev/null 2>&1); then
  fail "cannot generate CMake's graph from $build: build the project first (scripts/build.sh)"
else
  # Test-only libraries (testing fakes, test harnesses) are not part of the picture.
  cmake_edges "$tmp/cmake.dot" | grep -vE 'mysqlset_(testing|integration_harness|robustness_util)' \
    >"$tmp/linked"
  dot_edges docs/architecture.dot >"$tmp/drawn"
  while read -r e; do fail "CMake links $e, which docs/architecture.dot does not draw"; done \
    < <(comm -23 "$tmp/linked" "$tmp/drawn")
  while read -r e; do fail "docs/architecture.dot draws $e, which CMake does not link"; done \
    < <(comm -13 "$tmp/linked" "$tmp/drawn")
fi

# --- 3. #includes stay within the drawn dependencies (transitively)
library_of() {  # src folder -> its CMake library
  case $1 in cmd) echo mysqlset ;; *) echo "mysqlset_$1" ;; esac
}
reachable() {  # LIB: LIB and every library it depends on, from the drawn graph
  local seen=" $1 " todo=("$1") next
  while ((${#todo[@]})); do
    next=()
    for lib in "${todo[@]}"; do
      for dep in $(awk -v l="$lib" '$1 == l {print $3}' "$tmp/drawn"); do
        [[ $seen == *" $dep "* ]] || { seen+="$dep "; next+=("$dep"); }
      done
    done
    todo=("${next[@]+"${next[@]}"}")
  done
  echo "$seen"
}
for dir in src/*/; do
  folder=$(basename "$dir")
  [ "$folder" = testing ] && continue
  allowed=$(reachable "$(library_of "$folder")")
  # Test-only files beside the code (foo_test.cc, foo_testing.h, foo_fakes.{h,cc}) are built
  # into test binaries, not the library, and may use testing/.
  for f in $(ls "$dir"*.h "$dir"*.cc 2>/dev/null | grep -vE '(_test\.cc|_testing\.h|_fakes\.(h|cc))$'); do
    for inc in $(sed -n 's/^#include "\([a-z_]*\)\/.*/\1/p' "$f" | sort -u); do
      [ -d "src/$inc" ] || continue
      [ "$inc" = "$folder" ] && continue
      [[ $allowed == *" $(library_of "$inc") "* ]] ||
        fail "$f includes $inc/, but $(library_of "$folder") does not depend on $(library_of "$inc") in docs/architecture.dot"
    done
  done
done

# --- 4. processes are started only by posix/ (one async-signal-safe spawn, one exec)
while read -r hit; do
  fail "$hit: starts a process outside posix/; use posix/subprocess.h"
done < <(grep -rnE '\b(fork|vfork|_Fork|execv|execvp|execve|execl|execlp|popen|system|posix_spawn[a-z]*)\(' \
  src --include='*.cc' --include='*.h' | grep -v '^src/posix/' |
  grep -vE '^[^:]*(_test\.cc|_testing\.h|_fakes\.(h|cc)):' | cut -d: -f1,2)

[ "$failed" -eq 0 ] && echo "architecture: formatting, link graph, includes and process starts agree with docs/architecture.dot"
exit "$failed"
