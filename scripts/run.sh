#!/usr/bin/env bash
# The main job: sets up the machine, builds mysqlset, and brings up a local 3-member
# cluster in ./mysqlset-data (or $MYSQLSET_DIR). Extra args go to `mysqlset up`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
exec build/src/cmd/mysqlset up --dir "${MYSQLSET_DIR:-mysqlset-data}" --replicas 3 "$@"
