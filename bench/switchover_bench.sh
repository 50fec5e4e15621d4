#!/usr/bin/env bash
# Switchover under write load, on a 3-member local cluster (`mysqlset up`, one etcd member):
# sysbench oltp_write_only through the write endpoint (base-6) for the whole run, plus a probe
# (bench/write_probe.py) that inserts one row at a time and logs every acknowledgement. Then
# SWITCHOVERS switchovers, each to the next member in turn, SETTLE seconds apart. For each
# one: the time `mysqlset switchover` took (it returns once the new primary is writable
# through the write endpoint and the old one is a ready replica) and the write pause = the
# longest gap between two acknowledged probe inserts from its start to its end + 2 s.
# Baseline, measured in the same run: the longest gap between probe acknowledgements in the
# same-length load window with no switchover (what the machine's noise alone gives).
# Also: `mysqlset up` time to all ready (etcd included), UP_RUNS times.
# Asserts nothing.       → OUT/switchover.tsv, OUT/baseline_gap.txt, OUT/up_etcd.tsv
#
# env: SWITCHOVERS (10), SETTLE (4), THREADS (4), UP_RUNS (3), OUT, KEEP=1, MYSQLSET.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
SWITCHOVERS=${SWITCHOVERS:-10}
SETTLE=${SETTLE:-4}
THREADS=${THREADS:-4}
UP_RUNS=${UP_RUNS:-3}
# Debian's python3, which has python3-pymysql, whatever python3 comes first on PATH.
PY=${PY:-/usr/bin/python3}
[[ -x $MYSQLSET ]] || { echo "missing $MYSQLSET: build first (or set MYSQLSET)" >&2; exit 2; }
"$PY" -c "import pymysql" 2>/dev/null \
  || { echo "missing python3-pymysql (bash scripts/setup.sh --tests installs it)" >&2; exit 2; }

W=$(mktemp -d /tmp/msw-XXXXXX)
OUT=${OUT:-$W/out}
mkdir -p "$OUT"
dir=
cleanup() {
  [[ -z $dir ]] || "$MYSQLSET" down --dir "$dir" --purge >>"$W/down.log" 2>&1 || true
  stop_started
  [[ -n ${KEEP:-} ]] || rm -rf "$W"
}
trap cleanup EXIT
log() { echo "[switchover $(date +%T)] $*" >&2; }

# Time to ready with etcd in the picture.
: >"$OUT/up_etcd.tsv"
for run in $(seq "$UP_RUNS"); do
  base=$(free_base 3)
  dir=$W/up$run
  t0=$(now)
  "$MYSQLSET" up --dir "$dir" --replicas 3 --base-port "$base" --timeout 600 >"$W/up$run.log" 2>&1
  printf '3\t%s\n' "$(elapsed "$t0")" >>"$OUT/up_etcd.tsv"
  "$MYSQLSET" down --dir "$dir" --purge >>"$W/down.log" 2>&1
  dir=
done
log "up (3 members, etcd): $(cut -f2 "$OUT/up_etcd.tsv" | tr '\n' ' ')s"

base=$(free_base 3)
dir=$W/c
"$MYSQLSET" up --dir "$dir" --replicas 3 --base-port "$base" --timeout 600 >"$W/up.log" 2>&1
write=$((base - 6))
# The load is an application's: an account without READ ONLY ADMIN, which read_only stops.
pwfile=$W/bench-password
(umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$pwfile")
# The password goes on stdin, never in a process's arguments; creating users needs --admin.
echo "CREATE DATABASE bench; CREATE USER bench@'%' IDENTIFIED BY '$(cat "$pwfile")'; GRANT ALL ON bench.* TO bench@'%'" \
  | "$MYSQLSET" sql --admin --dir "$dir" >/dev/null
sb() {
  sysbench oltp_write_only --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port=$write \
    --mysql-user=bench --mysql-password="$(cat "$pwfile")" --mysql-db=bench --tables=4 \
    --table-size=20000 --threads="$THREADS" --mysql-ignore-errors=all "$@"
}
sb prepare >"$W/prepare.log" 2>&1

window=$((SWITCHOVERS * SETTLE + 2 * SETTLE + 10))
# Both run past the end (each switchover also takes a few seconds); stopped by pid after.
lasting=$((window + SWITCHOVERS * (SETTLE + 15) + 60))
# sysbench 1.0.20 can crash (SIGSEGV) on a connection the old primary cut, even with
# --mysql-ignore-errors=all: a bounded loop starts it again, so the load lasts.
(
  end=$((SECONDS + lasting))
  for _ in $(seq 200); do
    left=$((end - SECONDS))
    [ "$left" -gt 1 ] || break
    sb run --time="$left" --report-interval=1 >>"$OUT/sysbench.log" 2>&1 || echo "sysbench exited $?" >>"$OUT/sysbench-restarts.log"
  done
) &
pids_to_stop+=($!)
"$PY" "$(dirname "$0")/write_probe.py" --port "$write" --user bench --password-file "$pwfile" \
  --seconds "$lasting" >"$OUT/probe.txt" 2>"$W/probe.err" &
pids_to_stop+=($!)
sleep 5

# Baseline: the same window of load, no switchover.
b0=$(python3 -c 'import time; print(f"{time.monotonic():.4f}")')
sleep "$window"
b1=$(python3 -c 'import time; print(f"{time.monotonic():.4f}")')
awk -v a="$b0" -v b="$b1" '$1 >= a && $1 <= b { if (p) { g = $1 - p; if (g > m) m = g } p = $1 }
  END { printf "%.3f\n", m }' "$OUT/probe.txt" >"$OUT/baseline_gap.txt"
log "baseline: longest gap between acknowledged writes without a switchover: $(cat "$OUT/baseline_gap.txt")s"

printf 'n\tto\texit\tcommand_s\tpause_s\n' >"$OUT/switchover.tsv"
for i in $(seq "$SWITCHOVERS"); do
  to=mysql-$((i % 3))
  s0=$(python3 -c 'import time; print(f"{time.monotonic():.4f}")')
  rc=0
  "$MYSQLSET" switchover --dir "$dir" --to "$to" >"$W/switchover$i.log" 2>&1 || rc=$?
  s1=$(python3 -c 'import time; print(f"{time.monotonic():.4f}")')
  sleep 2
  pause=$(awk -v a="$s0" -v b="$s1" '$1 >= a - 0.001 && $1 <= b + 2 { if (p) { g = $1 - p; if (g > m) m = g } p = $1; n++ }
    $1 < a { p = $1 } END { if (n) printf "%.3f\n", m; else print "nan" }' "$OUT/probe.txt")
  printf '%s\t%s\t%s\t%.3f\t%s\n' "$i" "$to" "$rc" "$(echo "$s1 - $s0" | bc)" "$pause" \
    >>"$OUT/switchover.tsv"
  log "switchover $i to $to: exit $rc, $(echo "$s1 - $s0" | bc)s, write pause ${pause}s"
  sleep "$SETTLE"
done
stop_started
python3 - "$OUT" <<'PY'
import statistics, sys
out = sys.argv[1]
rows = [l.split("\t") for l in open(out + "/switchover.tsv").read().split("\n")[1:] if l]
ok = [r for r in rows if r[2] == "0" and r[4] != "nan"]
pause = sorted(float(r[4]) for r in ok)
cmd = sorted(float(r[3]) for r in ok)
base = float(open(out + "/baseline_gap.txt").read())
ups = [float(l.split("\t")[1]) for l in open(out + "/up_etcd.tsv") if l.strip()]
print(f"switchovers: {len(ok)} of {len(rows)} succeeded")
if pause:
    print(f"write pause: p50 {statistics.median(pause):.2f}s, max {pause[-1]:.2f}s "
          f"(baseline longest gap without switchover: {base:.2f}s)")
    print(f"switchover command: p50 {statistics.median(cmd):.2f}s, max {cmd[-1]:.2f}s")
if ups:
    print(f"up to all ready, 3 members with etcd: median {statistics.median(ups):.1f}s "
          f"({', '.join(f'{u:.1f}' for u in ups)})")
PY
