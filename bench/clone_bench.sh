#!/usr/bin/env bash
# Clone throughput on one machine over loopback, for growing data sets:
#   a) `mysqlset clone --donor` from a running agent (auth + frames + SHA-256 + mbstream + prepare)
#   b) the Kubernetes tutorial StatefulSet's sidecar: `ncat --listen --send-only -c "mariabackup --backup --stream=xbstream"`
#      on the donor, `ncat HOST PORT | mbstream -x` then `mariabackup --prepare` on the receiver
#   c) raw `tar | ncat` → `ncat | tar` of the same live datadir (inconsistent: a throughput
#      reference only)
# and the RSS of the serving process (agent for a, ncat for b), sampled every 100 ms.
# The data is built once: `sysbench prepare` of one table, then server-side copies of it
# (INSERT … SELECT, same rows and format) until the datadir reaches each size in turn, so the
# smaller sets are measured on the way to the largest. Asserts nothing.
#
#   bench/clone_bench.sh
#   env: SIZES_MB ("500 1000 2000"), RUNS (3), RUNS_LARGEST (RUNS), ROWS (1000000 rows in the
#        sysbench table), OUT (results dir; default a temp dir), KEEP=1 keeps the work dir,
#        MYSQLSET (binary), BENCH_BASE_PORT (ports from here; default: a free random range).
# Ends by printing issue 19's goal ratios, paired run by run (clone_ratios.py).
# Writes OUT/clone.tsv: size_mb dataset_bytes method run stream_s total_s bytes_copied
#        OUT/clone_phases.tsv: size_mb run connect stream tail prepare rollback install total (s)
#        OUT/rss/{agent_idle,agent_clone_SIZE_RUN,ncat_clone_SIZE_RUN}.txt (KiB per sample)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
SIZES_MB=${SIZES_MB:-500 1000 2000}
RUNS=${RUNS:-3}
RUNS_LARGEST=${RUNS_LARGEST:-$RUNS}
ROWS=${ROWS:-1000000}
[[ -x $MYSQLSET ]] || { echo "missing $MYSQLSET: build first (or set MYSQLSET)" >&2; exit 2; }

W=$(mktemp -d /tmp/mysqlset-bench-clone-XXXXXX)
OUT=${OUT:-$W/out}
mkdir -p "$OUT/rss"
trap 'stop_started; [[ -n ${KEEP:-} ]] || rm -rf "$W"' EXIT
log() { echo "[clone $(date +%T)] $*" >&2; }
report() {  # name seconds bytes
  awk -v n="$1" -v s="$2" -v b="$3" 'BEGIN { printf "  %-28s %8.2f s  %8.1f MB/s  (%d MB)\n", n, s, b/1e6/s, b/1e6 }'
}

base=$(free_base 2)
make_secrets "$W/secrets"
start_member "$W/m0" mysql-0 "$base" "$W/secrets"
start_etcd "$W/etcd" "$base" || { echo "etcd never answered" >&2; exit 1; }
start_agent "$W/m0" mysql-0 "$base" "$W/secrets"
agent_pid=$AGENT_PID
wait_http "http://127.0.0.1:$((base + 1))/readyz" || { echo "primary never ready" >&2; exit 1; }
admin_cnf "$W/secrets" "$base" "$W/admin.cnf"
sql() { mariadb --defaults-extra-file="$W/admin.cnf" "$@"; }
DATADIR=$W/m0/data/mysql

# Idle RSS of the agent: 3 s of samples.
sample_rss "$agent_pid" "$OUT/rss/agent_idle.txt"; sleep 3; stop_sampler "$SAMPLER_PID"

# Loading only: no fsync per commit while building the data (restored before measuring).
sql -e "SET GLOBAL sync_binlog=0; SET GLOBAL innodb_flush_log_at_trx_commit=2; CREATE DATABASE sbtest"
log "sysbench prepare: 1 table x $ROWS rows"
t0=$(now)
sysbench oltp_read_write --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$base" \
  --mysql-user=admin --mysql-password="$(cat "$W/secrets/admin-password")" \
  --tables=1 --table-size="$ROWS" prepare >"$W/sysbench.log"
log "prepared in $(elapsed "$t0") s"
ntables=1

# The backup user's option file for the Kubernetes tutorial StatefulSet's pipeline (mode 0600, no password in argv).
(umask 077; printf '[mariabackup]\nuser=backup\npassword=%s\nhost=127.0.0.1\nport=%s\n' \
  "$(cat "$W/secrets/backup-password")" "$base" >"$W/backup.cnf")
"$MYSQLSET" init --pod-name mysql-1 --conf-dir "$W/m1/conf" --data-dir "$W/m1/data" \
  --config-map-dir "$bench_root/config" --port $((base + 10)) --bind-address 127.0.0.1 \
  --report-host 127.0.0.1 >>"$W/m1.log" 2>&1

# The data set: the datadir without binary logs and the redo log (mariabackup copies
# neither; tar copies both, so its bytes are reported apart).
datadir_bytes() { du -sb --exclude='mysql-bin.*' --exclude='ib_logfile*' "$DATADIR" | cut -f1; }

for size in $SIZES_MB; do
  target=$((size * 1000000))
  # Grow to the target: copies of sbtest1, not binlogged (no replica reads this primary).
  grow_sbtest "$target"
  # Drop the load's binary logs (mariabackup never copies them; tar would) and go durable.
  # The server keeps a binlog until InnoDB's commit checkpoint passes it, so a purge right
  # after the load can keep it: retry until only the current file is left (at most ~20 s).
  for _ in $(seq 40); do
    sql -e "FLUSH BINARY LOGS"
    current=$(sql -N -B -e "SHOW MASTER STATUS" | cut -f1)
    sql -e "PURGE BINARY LOGS TO '$current'"
    [ "$(sql -N -B -e "SHOW BINARY LOGS" | wc -l)" -le 1 ] && break
    sleep 0.5
  done
  sql -e "SET GLOBAL sync_binlog=1; SET GLOBAL innodb_flush_log_at_trx_commit=1; FLUSH TABLES"
  sleep 1
  dbytes=$(datadir_bytes)
  runs=$RUNS; [ "$size" = "${SIZES_MB##* }" ] && runs=$RUNS_LARGEST
  log "data set ${size} MB target: datadir $((dbytes / 1000000)) MB in $ntables tables; $runs runs"
  for r in $(seq "$runs"); do
    # a) mysqlset clone from the running agent.
    rm -rf "$W/m1/data"
    rss=$OUT/rss/agent_clone_${size}_$r.txt; : >"$rss"
    sample_rss "$agent_pid" "$rss"
    t0=$(now)
    "$MYSQLSET" clone --pod-name mysql-1 --conf-dir "$W/m1/conf" --data-dir "$W/m1/data" \
      --secrets-dir "$W/secrets" --donor "127.0.0.1:$((base + 2))" --use-memory 512M 2>"$W/clone.log"
    total=$(elapsed "$t0")
    stop_sampler "$SAMPLER_PID"
    bytes=$(python3 -c "import json; print(json.load(open('$W/m1/data/.mysqlset-clone.json'))['bytes'])")
    stream=$(grep -o 'in [0-9.]*s (' "$W/clone.log" | head -1 | tr -dc '0-9.')
    [ -n "$stream" ] || stream=$total
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$size" "$dbytes" mysqlset "$r" "$stream" "$total" "$bytes" >>"$OUT/clone.tsv"
    # The clone's own phase timings (connect stream tail prepare rollback install), for the profile.
    phases=$(grep -o 'clone phases: .*' "$W/clone.log" | grep -o '[0-9][0-9.]*s' | tr -d s | tr '\n' '\t')
    [ -z "$phases" ] || printf '%s\t%s\t%s%s\n' "$size" "$r" "$phases" "$total" >>"$OUT/clone_phases.tsv"
    report "a) mysqlset clone (stream)" "$stream" "$bytes"; report "a) mysqlset clone (total)" "$total" "$bytes"
    rm -rf "$W/m1/data"

    # b) the Kubernetes tutorial StatefulSet's sidecar and receiver.
    rm -rf "$W/m2" "$W/mbtmp"; mkdir -p "$W/m2" "$W/mbtmp"
    nport=$((base + 20))
    ncat --listen 127.0.0.1 "$nport" --send-only -c \
      "exec mariabackup --defaults-extra-file=$W/backup.cnf --backup --stream=xbstream --target-dir=$W/mbtmp --datadir=$DATADIR 2>>$W/mb.log" &
    ncat_pid=$!; pids_to_stop+=("$ncat_pid")
    wait_listen "$nport"
    rss=$OUT/rss/ncat_clone_${size}_$r.txt; : >"$rss"
    sample_rss "$ncat_pid" "$rss"
    t0=$(now)
    ncat --recv-only 127.0.0.1 "$nport" </dev/null | mbstream -x -C "$W/m2"
    stream=$(elapsed "$t0")
    mariabackup --prepare --target-dir="$W/m2" --use-memory=512M >"$W/prep.log" 2>&1
    total=$(elapsed "$t0")
    stop_sampler "$SAMPLER_PID"
    wait "$ncat_pid" 2>/dev/null || true
    bytes=$(du -sb "$W/m2" | cut -f1)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$size" "$dbytes" seed "$r" "$stream" "$total" "$bytes" >>"$OUT/clone.tsv"
    report "b) ncat|mbstream (stream)" "$stream" "$bytes"; report "b) ncat|mbstream (total)" "$total" "$bytes"
    rm -rf "$W/m2" "$W/mbtmp"

    # c) raw tar over ncat.
    mkdir -p "$W/m3"
    tport=$((base + 21))
    ncat --listen 127.0.0.1 "$tport" --send-only -c "exec tar -C $DATADIR -cf - . 2>/dev/null" &
    tar_pid=$!; pids_to_stop+=("$tar_pid")
    wait_listen "$tport"
    t0=$(now)
    ncat --recv-only 127.0.0.1 "$tport" </dev/null | tar -C "$W/m3" -xf -
    total=$(elapsed "$t0")
    wait "$tar_pid" 2>/dev/null || true
    bytes=$(du -sb "$W/m3" | cut -f1)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$size" "$dbytes" tar "$r" "$total" "$total" "$bytes" >>"$OUT/clone.tsv"
    report "c) tar | tar" "$total" "$bytes"
    rm -rf "$W/m3"
  done
done
log "done: $OUT/clone.tsv"
python3 "$(dirname "$0")/clone_ratios.py" "$OUT" || true
