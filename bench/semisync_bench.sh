#!/usr/bin/env bash
# TPS and p99 latency with semi-sync on against off (issue 14), at 1, 4 and 16 sysbench
# threads. Two 3-member local clusters side by side, one `mysqlset up` (semi-sync, the
# default: a commit waits for the sync replica's ack, AFTER_SYNC) and one `--no-semi-sync`
# (asynchronous), each with one etcd member. sysbench oltp_write_only through each write
# endpoint (base-6), one run at a time, interleaved (for each round, for each thread count:
# on, then off) so that the machine's noise falls on both alike; the ratio on/off is taken
# within a round. Load averages are logged before and after. Asserts nothing.
#                        → OUT/semisync.tsv (mode threads round tps p99_ms), summary on stdout
# env: ROUNDS (3; SHORT=1: 1), SECONDS_PER_RUN (20; SHORT=1: 5), THREADS ("1 4 16"),
#      OUT, KEEP=1, MYSQLSET.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ROUNDS=${ROUNDS:-$([[ -n ${SHORT:-} ]] && echo 1 || echo 3)}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-$([[ -n ${SHORT:-} ]] && echo 5 || echo 20)}
THREADS=${THREADS:-"1 4 16"}
PY=${PY:-/usr/bin/python3}
[[ -x $MYSQLSET ]] || { echo "missing $MYSQLSET: build first (or set MYSQLSET)" >&2; exit 2; }
command -v sysbench >/dev/null || { echo "missing sysbench (scripts/setup.sh --tests)" >&2; exit 2; }

W=$(mktemp -d /tmp/mss-XXXXXX)
OUT=${OUT:-$W/out}
mkdir -p "$OUT"
dirs=()
cleanup() {
  local d
  for d in "${dirs[@]}"; do "$MYSQLSET" down --dir "$d" --purge >>"$W/down.log" 2>&1 || true; done
  [[ -n ${KEEP:-} ]] || rm -rf "$W"
}
trap cleanup EXIT
log() { echo "[semisync $(date +%T)] $*" >&2; }
pwfile=$W/bench-password
(umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$pwfile")

declare -A port
for mode in on off; do
  flag=--semi-sync
  [[ $mode == off ]] && flag=--no-semi-sync
  base=$(free_base 3)
  d=$W/$mode
  dirs+=("$d")
  "$MYSQLSET" up --dir "$d" --replicas 3 "$flag" --base-port "$base" --timeout 600 >"$W/up-$mode.log" 2>&1
  port[$mode]=$((base - 6))
  # The password goes on stdin, never in a process's arguments; creating users needs --admin.
  echo "CREATE DATABASE bench; CREATE USER bench@'%' IDENTIFIED BY '$(cat "$pwfile")'; GRANT ALL ON bench.* TO bench@'%'" \
    | "$MYSQLSET" sql --admin --dir "$d" >/dev/null
done
sb() {
  local mode=$1
  shift
  sysbench oltp_write_only --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="${port[$mode]}" \
    --mysql-user=bench --mysql-password="$(cat "$pwfile")" --mysql-db=bench --tables=4 \
    --table-size=20000 --percentile=99 "$@"
}
for mode in on off; do sb "$mode" --threads=4 prepare >"$W/prepare-$mode.log" 2>&1; done
log "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf 'mode\tthreads\tround\ttps\tp99_ms\n' >"$OUT/semisync.tsv"
for round in $(seq "$ROUNDS"); do
  for t in $THREADS; do
    for mode in on off; do
      sb "$mode" --threads="$t" --time="$SECONDS_PER_RUN" run >"$W/run-$mode-$t-$round.log" 2>&1 || true
      tps=$(awk '/transactions:/ { gsub(/[(]/, "", $3); print $3 }' "$W/run-$mode-$t-$round.log")
      p99=$(awk '/99th percentile:/ { print $3 }' "$W/run-$mode-$t-$round.log")
      printf '%s\t%s\t%s\t%s\t%s\n' "$mode" "$t" "$round" "${tps:-nan}" "${p99:-nan}" >>"$OUT/semisync.tsv"
      log "round $round, $t threads, semi-sync $mode: ${tps:-?} TPS, p99 ${p99:-?} ms (load $(cut -d' ' -f1 /proc/loadavg))"
    done
  done
done
log "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
"$PY" - "$OUT" <<'PY'
import statistics, sys
rows = [l.split("\t") for l in open(sys.argv[1] + "/semisync.tsv").read().split("\n")[1:] if l]
print("threads | semi-sync on TPS / p99 ms | off TPS / p99 ms | on/off TPS (per round) | on/off p99")
for t in dict.fromkeys(r[1] for r in rows):
    get = lambda m, c: {r[2]: float(r[c]) for r in rows if r[0] == m and r[1] == t and r[c] != "nan"}
    on_t, off_t, on_p, off_p = get("on", 3), get("off", 3), get("on", 4), get("off", 4)
    both = sorted(set(on_t) & set(off_t))
    tr = [on_t[k] / off_t[k] for k in both if off_t[k]]
    pr = [on_p[k] / off_p[k] for k in sorted(set(on_p) & set(off_p)) if off_p[k]]
    med = lambda d: statistics.median(d.values()) if d else float("nan")
    print(f"{t} | {med(on_t):.0f} / {med(on_p):.1f} | {med(off_t):.0f} / {med(off_p):.1f} | "
          f"{statistics.median(tr) if tr else float('nan'):.2f} ({', '.join(f'{x:.2f}' for x in tr)}) | "
          f"{statistics.median(pr) if pr else float('nan'):.2f}")
PY
