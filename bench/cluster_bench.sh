#!/usr/bin/env bash
# Local-cluster benchmarks with `mysqlset up/scale/down`, all on 127.0.0.1:
#   ready: `mysqlset up` with 1, 3 and 5 members on empty data, each into a fresh temp dir,
#          then `mysqlset down --purge`                                    → OUT/ready.tsv
#   lag:   sysbench oltp_write_only through the write endpoint (base-6) of a 3-member cluster,
#          with the Kubernetes tutorial StatefulSet's config (log-bin, server-id, read_only only) and with ours; the
#          primary's TPS, and replica lag from a heartbeat row (NOW(6) written every 100 ms on
#          the primary, polled every 10 ms on each replica) and from GTID distance
#          (primary's gtid_binlog_pos seq − replica's gtid_slave_pos seq, every 100 ms)
#                                                                          → OUT/lag/*
#   scale: on the "ours" cluster, load ~SCALE_MB through the write endpoint, then time
#          `mysqlset scale 5`                                               → OUT/scale.tsv
# Asserts nothing.
#
# env: SECTIONS ("ready lag scale"), MEMBERS ("1 3 5"), RUNS (3), LAG_RUNS (3),
#      LAG_SECONDS (20), LAG_ROWS (100000 rows x 4 tables), LAG_THREADS (4),
#      SCALE_MB (1000), SCALE_ROWS (1000000), OUT, KEEP=1, MYSQLSET.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
SECTIONS=${SECTIONS:-ready lag scale}
MEMBERS=${MEMBERS:-1 3 5}
RUNS=${RUNS:-3}
LAG_RUNS=${LAG_RUNS:-3}
LAG_SECONDS=${LAG_SECONDS:-20}
LAG_ROWS=${LAG_ROWS:-100000}
LAG_THREADS=${LAG_THREADS:-4}
SCALE_MB=${SCALE_MB:-1000}
SCALE_ROWS=${SCALE_ROWS:-1000000}
[[ -x $MYSQLSET ]] || { echo "missing $MYSQLSET: build first (or set MYSQLSET)" >&2; exit 2; }

W=$(mktemp -d /tmp/msb-XXXXXX)  # short: member socket paths live under it
OUT=${OUT:-$W/out}
mkdir -p "$OUT/lag"
trap cleanup_clusters EXIT
log() { echo "[cluster $(date +%T)] $*" >&2; }
has() { [[ " $SECTIONS " == *" $1 "* ]]; }

# cluster_up DIR N BASE: `mysqlset up`, prints the seconds it took.
cluster_up() {
  local t0
  active+=("$1")
  t0=$(now)
  "$MYSQLSET" up --dir "$1" --replicas "$2" --base-port "$3" --timeout 600 >>"$1.up.log" 2>&1 \
    || { echo "up failed, see $1.up.log" >&2; tail -20 "$1.up.log" >&2; return 1; }
  elapsed "$t0"
}
cluster_down() {
  "$MYSQLSET" down --dir "$1" --purge >>"$1.down.log" 2>&1 || true
  local keep=() d
  for d in "${active[@]}"; do [ "$d" = "$1" ] || keep+=("$d"); done
  active=("${keep[@]}")
}

if has ready; then
  for n in $MEMBERS; do
    for r in $(seq "$RUNS"); do
      d=$W/r$n-$r; base=$(free_base "$n")
      s=$(cluster_up "$d" "$n" "$base")
      printf '%s\t%s\t%s\n' "$n" "$r" "$s" >>"$OUT/ready.tsv"
      log "up with $n member(s), run $r: $s s"
      cluster_down "$d"
    done
  done
fi

# gtid_seq "0-100-123,1-100-4": the sequence number in domain 0.
sql_setup_lag='
CREATE DATABASE IF NOT EXISTS bench;
CREATE TABLE IF NOT EXISTS bench.hb (id INT PRIMARY KEY, ts DATETIME(6) NOT NULL);
REPLACE INTO bench.hb VALUES (1, NOW(6));
DROP PROCEDURE IF EXISTS bench.beat;
DROP PROCEDURE IF EXISTS bench.watch;
DELIMITER //
CREATE PROCEDURE bench.beat(secs DOUBLE)
BEGIN
  DECLARE t_end DOUBLE DEFAULT UNIX_TIMESTAMP(NOW(6)) + secs;
  WHILE UNIX_TIMESTAMP(NOW(6)) < t_end DO
    UPDATE bench.hb SET ts = NOW(6) WHERE id = 1;
    SELECT UNIX_TIMESTAMP(NOW(6)), @@gtid_binlog_pos;
    DO SLEEP(0.1);
  END WHILE;
END//
CREATE PROCEDURE bench.watch(secs DOUBLE)
BEGIN
  DECLARE t_end DOUBLE DEFAULT UNIX_TIMESTAMP(NOW(6)) + secs;
  WHILE UNIX_TIMESTAMP(NOW(6)) < t_end DO
    SELECT UNIX_TIMESTAMP(NOW(6)), UNIX_TIMESTAMP(ts), @@gtid_slave_pos FROM bench.hb WHERE id = 1;
    DO SLEEP(0.01);
  END WHILE;
END//
DELIMITER ;
'

# caught_up CNF BASE N [TRIES]: wait until every replica's gtid_slave_pos has the primary's
# gtid_binlog_pos (every 0.5 s); prints the seconds waited.
caught_up() {
  local cnf=$1 base=$2 n=$3 tries=${4:-600} t0 p i k ok
  t0=$(now)
  p=$(mariadb --defaults-extra-file="$cnf" -P "$base" -N -B -e 'SELECT @@gtid_binlog_pos')
  for ((i = 0; i < tries; i++)); do
    ok=1
    for ((k = 1; k < n; k++)); do
      mariadb --defaults-extra-file="$cnf" -P $((base + 10 * k)) -N -B \
        -e "SELECT MASTER_GTID_WAIT('$p', 0)" 2>/dev/null | grep -qx 0 || { ok=0; break; }
    done
    [ "$ok" = 1 ] && { elapsed "$t0"; return 0; }
    sleep 0.5
  done
  elapsed "$t0"; return 1
}

sb() {  # sb CNF_ADMIN_PASSWORD_FILE PORT sysbench-args...
  local pw=$1 port=$2; shift 2
  sysbench --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$port" --mysql-user=admin \
    --mysql-password="$(cat "$pw")" "$@"
}

if has lag || has scale; then
  configs="ours"; has lag && configs="seed ours"
  for cfg in $configs; do
    d=$W/$cfg; base=$(free_base 5)
    if [ "$cfg" = seed ]; then
      # The Kubernetes tutorial StatefulSet's ConfigMap, in MariaDB spelling: binary log on, read-only until the agent
      # makes the primary writable, nothing else (server-id comes from init's server-id.cnf).
      # `mysqlset up` keeps config files that already exist in DIR/config.
      mkdir -p "$d/config"
      printf '[mariadbd]\nlog-bin=mysql-bin\nread_only=ON\n' >"$d/config/mysqlset.cnf"
    fi
    s=$(cluster_up "$d" 3 "$base")
    log "$cfg: up with 3 members in $s s"
    cnf=$d/client.cnf; pw=$d/secrets/admin-password
    wport=$((base - 6))
    mariadb --defaults-extra-file="$cnf" -h 127.0.0.1 -P "$base" -N -B -e \
      "SELECT @@sync_binlog, @@innodb_flush_log_at_trx_commit, @@binlog_format, @@gtid_strict_mode, @@log_slave_updates" \
      >"$OUT/lag/$cfg.settings"
    if has lag; then
      mariadb --defaults-extra-file="$cnf" -h 127.0.0.1 -P "$wport" -e "$sql_setup_lag"
      mariadb --defaults-extra-file="$cnf" -h 127.0.0.1 -P "$wport" -e "CREATE DATABASE IF NOT EXISTS sbtest"
      sb "$pw" "$wport" oltp_write_only --tables=4 --table-size="$LAG_ROWS" prepare >"$W/$cfg.prepare.log"
      caught_up "$cnf" "$base" 3 >/dev/null || log "$cfg: replicas slow to catch up after prepare"
      for r in $(seq "$LAG_RUNS"); do
        pre=$OUT/lag/$cfg-$r
        mariadb --defaults-extra-file="$cnf" -h 127.0.0.1 -P $((base + 10)) -N -B \
          -e "CALL bench.watch($((LAG_SECONDS + 6)))" >"$pre.watch1" 2>"$pre.err" &
        w1=$!
        mariadb --defaults-extra-file="$cnf" -h 127.0.0.1 -P $((base + 20)) -N -B \
          -e "CALL bench.watch($((LAG_SECONDS + 6)))" >"$pre.watch2" 2>>"$pre.err" &
        w2=$!
        mariadb --defaults-extra-file="$cnf" -h 127.0.0.1 -P "$base" -N -B \
          -e "CALL bench.beat($((LAG_SECONDS + 2)))" >"$pre.beat" 2>>"$pre.err" &
        bt=$!
        sleep 1
        sb "$pw" "$wport" oltp_write_only --tables=4 --table-size="$LAG_ROWS" \
          --threads="$LAG_THREADS" --time="$LAG_SECONDS" --report-interval=1 run >"$pre.sysbench"
        # Drain: from the end of the load until both replicas have everything written so far.
        drain=$(caught_up "$cnf" "$base" 3 240) || log "$cfg run $r: replicas not caught up after 120 s"
        echo "$drain" >"$pre.drain"
        wait "$bt" "$w1" "$w2" || true
        log "$cfg run $r: $(grep -o 'transactions:.*' "$pre.sysbench"), replicas caught up $drain s after"
      done
    fi
    if has scale && [ "$cfg" = ours ]; then
      # ~SCALE_MB of sysbench data through the write endpoint: one prepared table, then copies.
      log "scale: loading ~$SCALE_MB MB through the write endpoint"
      t0=$(now)
      mariadb --defaults-extra-file="$cnf" -h 127.0.0.1 -P "$wport" -e "CREATE DATABASE IF NOT EXISTS sbscale"
      sb "$pw" "$wport" oltp_read_write --mysql-db=sbscale --tables=1 --table-size="$SCALE_ROWS" prepare >"$W/scale.prepare.log"
      ddir=$(ls -d "$d"/members/*-0/data/mysql 2>/dev/null | head -1)
      [ -n "$ddir" ] || ddir=$(dirname "$(find "$d" -name ibdata1 | head -1)")
      for k in $(seq 2 16); do
        ib=$(du -sb --exclude='mysql-bin.*' --exclude='ib_logfile*' "$ddir" | cut -f1)
        [ "$ib" -ge $((SCALE_MB * 1000000 * 97 / 100)) ] && break
        mariadb --defaults-extra-file="$cnf" -h 127.0.0.1 -P "$wport" -e \
          "CREATE TABLE sbscale.sbtest$k LIKE sbscale.sbtest1; INSERT INTO sbscale.sbtest$k SELECT * FROM sbscale.sbtest1"
      done
      caught_up "$cnf" "$base" 3 >/dev/null || log "scale: replicas slow to catch up after the load"
      data_bytes=$(du -sb --exclude='mysql-bin.*' --exclude='ib_logfile*' "$ddir" | cut -f1)
      log "scale: loaded $((data_bytes / 1000000)) MB (without binlogs) in $(elapsed "$t0") s; scaling 3 -> 5"
      t0=$(now)
      "$MYSQLSET" scale 5 --dir "$d" --timeout 900 >>"$d.scale.log" 2>&1 || { tail -20 "$d.scale.log" >&2; }
      s=$(elapsed "$t0")
      printf '%s\t%s\t%s\n' 1 "$s" "$data_bytes" >>"$OUT/scale.tsv"
      log "scale 3 -> 5 with $((data_bytes / 1000000)) MB: $s s"
    fi
    cluster_down "$d"
  done
fi
log "done: $OUT"
