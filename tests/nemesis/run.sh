#!/usr/bin/env bash
# The HA nemesis on a local cluster (tests/nemesis/README.md).
#   tests/nemesis/run.sh BINARY [--seed N] [more nemesis.py flags]
# Short mode (default, about 3 minutes, fixed seed 4: every kind of fault but a kill of a
# replica's mariadbd alone, with a real loss of the primary and two switchovers): 10 faults of 2-10 s.
# MYSQLSET_NEMESIS=long: 30 minutes of faults of 2-15 s, a random seed (printed first).
# Exit 0 when every check held; 1 on a violation (named); 2 when the harness cannot run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[[ $# -ge 1 ]] || { echo "usage: $0 BINARY [--seed N] [nemesis.py flags]" >&2; exit 2; }
bin=$1
shift
[[ -x $bin ]] || { echo "missing $bin: build first" >&2; exit 2; }
PY=${PY:-/usr/bin/python3}
"$PY" -c "import pymysql" 2>/dev/null \
  || { echo "missing python3-pymysql (bash scripts/setup.sh --tests installs it)" >&2; exit 2; }
# The checker's own tests first (no cluster, under a second): each check can fail.
"$PY" "$here/checker_test.py" 2>&1 | tail -1
case ${MYSQLSET_NEMESIS:-short} in
  short) mode=(--seed 4 --faults 10 --seconds 150 --min-duration 2 --max-duration 10) ;;
  long) mode=(--faults 400 --seconds 1800 --min-duration 2 --max-duration 15) ;;
  *) echo "MYSQLSET_NEMESIS must be short or long" >&2; exit 2 ;;
esac
# Later flags win (argparse), so `--seed N` after BINARY replays another seed in either mode.
exec "$PY" "$here/nemesis.py" "$bin" "${mode[@]}" "$@"
