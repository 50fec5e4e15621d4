#!/usr/bin/env bash
# The main job: sets up the machine (scripts/setup.sh: only what this needs), builds mysqlset,
# installs it as /usr/local/bin/mysqlset (when run as root; $PREFIX to change), and brings up
# a local cluster in ./mysqlset-data (or $MYSQLSET_DIR), with 3 members unless it exists.
# Extra args go to `mysqlset up`: `bash scripts/run.sh --replicas 5`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The main job needs no test: configure without them (scripts/test.sh turns them back on).
bash scripts/build.sh -DMYSQLSET_BUILD_TESTS=OFF
build_dir=${BUILD_DIR:-build}
bin=$build_dir/src/cmd/mysqlset
prefix=${PREFIX:-/usr/local}
if [ -w "$prefix/bin" ] || { [ ! -e "$prefix/bin" ] && [ "$(id -u)" -eq 0 ]; }; then
  cmake --install "$build_dir" --prefix "$prefix" --component mysqlset >/dev/null
  bin=$prefix/bin/mysqlset
  echo "run: installed $bin"
else
  echo "run: $prefix/bin is not writable, so mysqlset is not installed; it is $(pwd)/$bin" \
    "(run as root, or set PREFIX, to install it)"
fi
# The binary reads $MYSQLSET_DIR as the default --dir. No --replicas here: `up` makes 3
# members in a new dir and keeps a stopped one's size (so running this again after
# `mysqlset scale 5` does not scale it back to 3), and CLI11 refuses a flag given twice.
export MYSQLSET_DIR=${MYSQLSET_DIR:-mysqlset-data}
exec "$bin" up "$@"
