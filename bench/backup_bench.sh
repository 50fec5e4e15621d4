#!/usr/bin/env bash
# Backup benchmarks (issue 15), all on 127.0.0.1: one 1-member local cluster archiving its
# binlogs into a directory repository (`up --repo R --archive-interval I`).
#   backup:  ~SIZE_MB of sysbench data (one prepared table, then server-side copies of it),
#            then RUNS rounds of, in turn:
#              a0) with MYSQLSET_BEFORE set: a) by that binary (an earlier build, for a
#                 before/after in one run);
#              a) `mysqlset backup --repo R` (mariabackup streamed over the agent's backup
#                 port, checked and zstd -3 -T0'd as it comes, written to the repository,
#                 SHA-256 read back, zstd -t, manifest); for a0 and a, the stream's part
#                 (until the progress line saying "done") and the rest (store, verify, publish);
#              b) plain `mariabackup --backup --stream=xbstream > FILE` on the same server;
#              c) `mariabackup --backup --stream=xbstream | zstd -3 -T0 > FILE`.
#                                                                        → OUT/backup.tsv
#   lag:     for each I in LAG_INTERVALS (`up --archive-interval I`, restarted for each):
#            sysbench oltp_write_only (LAG_THREADS threads) on the data set for LAG_SECONDS,
#            sampled every 0.5 s (bench/archive_lag.py): the primary's GTID, and the archive's
#            end from REPO/binlogs/*/segment.json. The lag at a sample is how old the state the
#            archive holds is: now minus the last sample at which the primary had no
#            transaction the archive lacks now (what a lost cluster would lose).
#                                                                        → OUT/lag.tsv
#   restore: `mysqlset restore` of the newest backup into a new 1-member cluster: a) the
#            backup alone; b) --to-time the middle of the last load window (the backup, then
#            the archived binlogs up to that time), RESTORE_RUNS each.   → OUT/restore.tsv
# Asserts nothing. Ports from BASE_LO..BASE_HI (default 22000..22999).
#
#   bench/backup_bench.sh                 full: ~1 GB, 3 runs, lag at 30 s and 5 s intervals
#   SHORT=1 bench/backup_bench.sh         smoke: ~200 MB, 1 run, lag at 5 s for 20 s
#   PARTS=backup bench/backup_bench.sh    the backup part alone (also: lag, restore)
#   env: SIZE_MB, ROWS (sysbench rows in the prepared table), RUNS, LAG_INTERVALS,
#        LAG_SECONDS, LAG_THREADS, RESTORE_RUNS, OUT, KEEP=1, MYSQLSET, MYSQLSET_BEFORE,
#        PARTS, BASE_LO, BASE_HI.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
if [[ -n ${SHORT:-} ]]; then
  SIZE_MB=${SIZE_MB:-200}; ROWS=${ROWS:-500000}; RUNS=${RUNS:-1}
  LAG_INTERVALS=${LAG_INTERVALS:-5}; LAG_SECONDS=${LAG_SECONDS:-20}; RESTORE_RUNS=${RESTORE_RUNS:-1}
fi
SIZE_MB=${SIZE_MB:-1000}
ROWS=${ROWS:-1000000}
RUNS=${RUNS:-3}
LAG_INTERVALS=${LAG_INTERVALS:-30 5}
LAG_SECONDS=${LAG_SECONDS:-60}
LAG_THREADS=${LAG_THREADS:-2}
RESTORE_RUNS=${RESTORE_RUNS:-1}
BASE_LO=${BASE_LO:-22000}
BASE_HI=${BASE_HI:-22999}
PARTS=${PARTS:-backup lag restore}
part() { [[ " $PARTS " == *" $1 "* ]]; }
[[ -x $MYSQLSET ]] || { echo "missing $MYSQLSET: build first (or set MYSQLSET)" >&2; exit 2; }

W=$(mktemp -d /tmp/msbk-XXXXXX)  # short: member socket paths live under it
OUT=${OUT:-$W/out}
mkdir -p "$OUT"
D=$W/c; REPO=$W/repo
trap cleanup_clusters EXIT
log() { echo "[backup $(date +%T) load $(cut -d' ' -f1 /proc/loadavg)] $*" >&2; }
loadavg() { echo "$1 $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/load.txt"; }

up_cluster() {  # up_cluster INTERVAL: (re)start the source cluster with that archive interval
  "$MYSQLSET" up --dir "$D" --replicas 1 --no-semi-sync --base-port "$BASE" --repo "$REPO" \
    --archive-interval "$1" --timeout 600 >>"$W/up.log" 2>&1 \
    || { echo "up failed, see $W/up.log" >&2; tail -20 "$W/up.log" >&2; return 1; }
}
sql() { mariadb --defaults-extra-file="$D/admin.cnf" -h 127.0.0.1 -P "$BASE" "$@"; }
datadir_bytes() {  # what mariabackup copies: the datadir without binary logs and redo log
  du -sb --exclude='mysql-bin.*' --exclude='ib_logfile*' "$D/members/mysql-0/data" | cut -f1
}

BASE=$(free_base 1 $((BASE_LO + 16)) $((BASE_HI - 12)))
active+=("$D")
loadavg start
log "cluster at base port $BASE in $W"
up_cluster "${LAG_INTERVALS%% *}"

# ---------------------------------------------------------------- data set
log "sysbench prepare: 1 table x $ROWS rows"
sql -e "CREATE DATABASE sbtest"
sb() {
  sysbench --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$BASE" --mysql-user=admin \
    --mysql-password="$(cat "$D/secrets/admin-password")" "$@"
}
sb oltp_write_only --tables=1 --table-size="$ROWS" prepare >"$W/prepare.log"
ntables=1
grow_sbtest $((SIZE_MB * 1000000))
sql -e "FLUSH TABLES"
dbytes=$(datadir_bytes)
log "data set: $((dbytes / 1000000)) MB in $ntables tables"
echo "dataset_bytes: $dbytes" >>"$OUT/params.txt"
echo "tables: $ntables x $ROWS rows" >>"$OUT/params.txt"

# ---------------------------------------------------------------- backup
(umask 077; printf '[mariabackup]\nuser=backup\npassword=%s\nhost=127.0.0.1\nport=%s\n' \
  "$(cat "$D/secrets/backup-password")" "$BASE" >"$W/backup.cnf")
plain() {  # plain FILE [zstd]: mariabackup's own stream into FILE
  rm -rf "$W/mbtmp"; mkdir -p "$W/mbtmp"
  if [ "${2:-}" = zstd ]; then
    mariabackup --defaults-extra-file="$W/backup.cnf" --backup --stream=xbstream \
      --target-dir="$W/mbtmp" --datadir="$D/members/mysql-0/data" 2>>"$W/mb.log" \
      | zstd -q -3 -T0 -o "$1"
  else
    mariabackup --defaults-extra-file="$W/backup.cnf" --backup --stream=xbstream \
      --target-dir="$W/mbtmp" --datadir="$D/members/mysql-0/data" 2>>"$W/mb.log" >"$1"
  fi
}
printf 'method\trun\tseconds\tdataset_bytes\toutput_bytes\tload1\tstream_s\n' >"$OUT/backup.tsv"
row() {  # row METHOD RUN SECONDS OUTPUT_BYTES [STREAM_SECONDS]
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$dbytes" "$4" \
    "$(cut -d' ' -f1 /proc/loadavg)" "${5:-NA}" >>"$OUT/backup.tsv"
}
ours() {  # ours METHOD BINARY RUN: one `mysqlset backup`, its stderr lines timestamped
  local t0 s obytes stream_s
  t0=$(now)
  "$2" backup --dir "$D" --repo "$REPO" >"$W/backup-$1-$3.out" \
    2> >(while IFS= read -r l; do echo "$(now) $l"; done >"$W/backup-$1-$3.err")
  s=$(elapsed "$t0")
  sleep 0.2  # the timestamping loop drains
  # The stream's part ends with the last progress line saying "done" (zstd has finished;
  # an estimate below the bytes streamed also says "done" earlier).
  stream_s=$(awk -v t0="$t0" '/, done$/ { s = $1 - t0 } END { if (s != "") printf "%.3f", s }' "$W/backup-$1-$3.err")
  obytes=$("$MYSQLSET" backups --repo "$REPO" --json \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["objects"][0]["bytes"])')
  row "$1" "$3" "$s" "$obytes" "$stream_s"
  log "$1 backup, run $3: $s s, stream ${stream_s:-?} s ($(tail -1 "$W/backup-$1-$3.out"))"
}
for r in $(seq "$RUNS"); do
  part backup || break
  [[ -n ${MYSQLSET_BEFORE:-} ]] && ours mysqlset-before "$MYSQLSET_BEFORE" "$r"
  ours mysqlset "$MYSQLSET" "$r"

  t0=$(now); plain "$W/plain.xbstream"; s=$(elapsed "$t0")
  row mariabackup "$r" "$s" "$(stat -c %s "$W/plain.xbstream")"
  log "b) mariabackup --stream > file, run $r: $s s"
  rm -f "$W/plain.xbstream"

  t0=$(now); plain "$W/plain.xbstream.zst" zstd; s=$(elapsed "$t0")
  row mariabackup-zstd "$r" "$s" "$(stat -c %s "$W/plain.xbstream.zst")"
  log "c) mariabackup --stream | zstd -3 > file, run $r: $s s"
  rm -f "$W/plain.xbstream.zst"
done
loadavg after-backup

# ---------------------------------------------------------------- lag
printf 'interval\tt\tprimary_seq\tarchive_seq\tlag_s\n' >"$OUT/lag.tsv"
first=1
part lag || LAG_INTERVALS=
for interval in $LAG_INTERVALS; do
  if [ "$first" = 0 ]; then  # the interval is read when the supervisor starts
    "$MYSQLSET" down --dir "$D" >>"$W/down.log" 2>&1
    up_cluster "$interval"
  fi
  first=0
  sleep 2
  log "lag: sysbench oltp_write_only, $LAG_THREADS threads, $LAG_SECONDS s, --archive-interval $interval"
  load_start=$(date +%s)
  sb oltp_write_only --tables=1 --table-size="$ROWS" --threads="$LAG_THREADS" \
    --time="$LAG_SECONDS" run >"$W/lag-$interval.sysbench" &
  sb_pid=$!; pids_to_stop+=("$sb_pid")
  python3 "$bench_root/bench/archive_lag.py" --port "$BASE" \
    --password-file "$D/secrets/admin-password" --repo "$REPO" --seconds $((LAG_SECONDS + 60)) \
    --while-pid "$sb_pid" --label "$interval" >>"$OUT/lag.tsv"
  wait "$sb_pid" || true
  load_end=$(date +%s)
  log "lag at --archive-interval $interval: $(grep -o 'transactions:.*' "$W/lag-$interval.sysbench")"
done
[[ -n $LAG_INTERVALS ]] && loadavg after-lag
echo "lag_threads: $LAG_THREADS" >>"$OUT/params.txt"
echo "lag_seconds: $LAG_SECONDS" >>"$OUT/params.txt"

# ---------------------------------------------------------------- restore
if ! part restore || [[ -z ${load_start:-} ]]; then  # restore needs the lag part's load window
  loadavg end
  python3 "$bench_root/bench/backup_report.py" "$OUT"
  log "done: $OUT"
  exit 0
fi
# The target: the middle of the last load window; wait until the archive holds the whole load.
to_time=$(date -u -d "@$(( (load_start + load_end) / 2 ))" +%Y-%m-%dT%H:%M:%SZ)
final=$(sql -N -B -e "SELECT @@gtid_binlog_pos")
for _ in $(seq 120); do
  "$MYSQLSET" backups --repo "$REPO" | grep -q "GTID $final)" && break
  sleep 1
done
printf 'kind\trun\tseconds\tbinlogs\tload1\n' >"$OUT/restore.tsv"
B2=$(free_base 1 $((BASE_LO + 16)) $((BASE_HI - 12)))
for r in $(seq "$RESTORE_RUNS"); do
  for kind in backup pitr; do
    d2=$W/r-$kind-$r; active+=("$d2")
    args=(); [ "$kind" = pitr ] && args=(--to-time "$to_time")
    t0=$(now)
    "$MYSQLSET" restore --repo "$REPO" --dir "$d2" --base-port "$B2" "${args[@]}" >"$d2.out" 2>&1 \
      || { echo "restore failed, see $d2.out" >&2; tail -5 "$d2.out" >&2; }
    s=$(elapsed "$t0")
    n=$(grep -o 'Then replaying [0-9]*' "$d2.out" | tr -dc '0-9' || true); n=${n:-0}
    printf '%s\t%s\t%s\t%s\t%s\n' "$kind" "$r" "$s" "$n" "$(cut -d' ' -f1 /proc/loadavg)" >>"$OUT/restore.tsv"
    log "restore ($kind${args[*]:+ ${args[*]}}), run $r: $s s, $n binlog(s) replayed"
    "$MYSQLSET" down --dir "$d2" --purge >>"$W/down.log" 2>&1 || true
  done
done
loadavg end
python3 "$bench_root/bench/backup_report.py" "$OUT"
log "done: $OUT"
