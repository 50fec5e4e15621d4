#!/usr/bin/env bash
# Configures and builds mysqlset into build/ (or $BUILD_DIR). Extra args go to cmake.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMYSQLSET_WERROR=ON "$@" >/dev/null
ninja -C "$build_dir" -j "$(nproc)"
