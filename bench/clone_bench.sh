#!/usr/bin/env bash
# Clone throughput: `mysqlset clone` (authenticated, framed, verified, prepared) against
# the seed's `mariabackup | ncat | mbstream` pipeline and a raw `tar | tar` copy, on one
# machine over loopback. Prints times and MB/s; asserts nothing.
#
#   bench/clone_bench.sh [BUILD_DIR]        (default: build)
#   env: TABLES (4) and ROWS (1000000) size the sysbench data (~1 GB by default);
#        KEEP=1 keeps the work dir.
set -euo pipefail

BUILD=$(cd "${1:-build}" && pwd)
TABLES=${TABLES:-4}
ROWS=${ROWS:-1000000}
MYSQLSET=$BUILD/src/cmd/mysqlset
DONOR=$BUILD/tests/integration/backup_donor_for_test
CONFIG=$(cd "$(dirname "$0")/.." && pwd)/config
for f in "$MYSQLSET" "$DONOR"; do [[ -x $f ]] || { echo "missing $f: build first" >&2; exit 2; }; done

W=$(mktemp -d /tmp/clone-bench-XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  [[ -n ${KEEP:-} ]] || rm -rf "$W"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
report() {  # name seconds bytes
  awk -v n="$1" -v s="$2" -v b="$3" 'BEGIN { printf "%-34s %8.2f s  %8.1f MB/s  (%d MB)\n", n, s, b/1e6/s, b/1e6 }'
}

mkdir -p "$W/secrets"
for f in admin-password replication-password backup-password monitor-password backup-token; do
  (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$W/secrets/$f")
done
ADMIN=$(cat "$W/secrets/admin-password")
P0=$(free_port)

echo "== primary with sysbench data ($TABLES x $ROWS rows)"
"$MYSQLSET" init --pod-name mysql-0 --conf-dir "$W/m0/conf" --data-dir "$W/m0/data" \
  --config-map-dir "$CONFIG" --port "$P0" --bind-address 127.0.0.1 --report-host 127.0.0.1 2>/dev/null
"$MYSQLSET" clone --pod-name mysql-0 --conf-dir "$W/m0/conf" --data-dir "$W/m0/data" \
  --secrets-dir "$W/secrets" 2>/dev/null
mariadbd --defaults-file="$W/m0/conf/my.cnf" --user=root >"$W/m0.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do
  mariadb -h127.0.0.1 -P"$P0" -uadmin -p"$ADMIN" -e 'SELECT 1' >/dev/null 2>&1 && break
  sleep 0.2
done
mariadb -h127.0.0.1 -P"$P0" -uadmin -p"$ADMIN" -e 'SET GLOBAL read_only=0; CREATE DATABASE sbtest'
sysbench oltp_read_write --mysql-host=127.0.0.1 --mysql-port="$P0" --mysql-user=admin \
  --mysql-password="$ADMIN" --tables="$TABLES" --table-size="$ROWS" --threads=2 prepare >/dev/null
DATADIR=$W/m0/data/mysql
echo "datadir: $(du -sh "$DATADIR" | cut -f1)"

echo "== mysqlset clone (auth + frames + SHA-256 + mbstream + prepare)"
"$DONOR" --datadir "$DATADIR" --mysql-port "$P0" --secrets-dir "$W/secrets" >"$W/donor.out" 2>"$W/donor.log" &
PIDS+=($!)
for _ in $(seq 100); do grep -q LISTENING "$W/donor.out" 2>/dev/null && break; sleep 0.1; done
BPORT=$(awk '/LISTENING/ {print $2}' "$W/donor.out")
"$MYSQLSET" init --pod-name mysql-1 --conf-dir "$W/m1/conf" --data-dir "$W/m1/data" \
  --config-map-dir "$CONFIG" --port "$(free_port)" --bind-address 127.0.0.1 2>/dev/null
t0=$(now)
"$MYSQLSET" clone --pod-name mysql-1 --conf-dir "$W/m1/conf" --data-dir "$W/m1/data" \
  --secrets-dir "$W/secrets" --donor "127.0.0.1:$BPORT" --use-memory 512M 2>"$W/clone.log"
t1=$(now)
BYTES=$(python3 -c "import json,sys; print(json.load(open('$W/m1/data/.mysqlset-clone.json'))['bytes'])")
STREAM=$(grep -o 'in [0-9.]*s (' "$W/clone.log" | head -1 | tr -dc '0-9.')
report "mysqlset clone: stream" "$STREAM" "$BYTES"
report "mysqlset clone: total" "$(echo "$t1 - $t0" | bc)" "$BYTES"

echo "== seed pipeline: mariabackup | ncat | mbstream (no auth, no verification)"
NPORT=$(free_port)
mkdir -p "$W/m2"
OPT=$W/backup.cnf
(umask 077; printf '[mariabackup]\nuser=backup\npassword=%s\nhost=127.0.0.1\nport=%s\n' \
  "$(cat "$W/secrets/backup-password")" "$P0" > "$OPT")
ncat --listen 127.0.0.1 "$NPORT" | mbstream -x -C "$W/m2" &
LISTENER=$!
sleep 0.3
t0=$(now)
mkdir -p "$W/tmp"
mariabackup --defaults-extra-file="$OPT" --backup --stream=xbstream --target-dir="$W/tmp" \
  --datadir="$DATADIR" 2>"$W/mb.log" | ncat 127.0.0.1 "$NPORT"
wait $LISTENER
t1=$(now)
mariabackup --prepare --target-dir="$W/m2" --use-memory=512M >"$W/prep.log" 2>&1
t2=$(now)
NBYTES=$(du -sb "$W/m2" | cut -f1)
report "ncat | mbstream: stream" "$(echo "$t1 - $t0" | bc)" "$NBYTES"
report "ncat | mbstream: total" "$(echo "$t2 - $t0" | bc)" "$NBYTES"

echo "== raw copy: tar | tar (hot, inconsistent: throughput reference only)"
mkdir -p "$W/m3"
t0=$(now)
tar -C "$DATADIR" -cf - . 2>/dev/null | tar -C "$W/m3" -xf -
t1=$(now)
report "tar | tar" "$(echo "$t1 - $t0" | bc)" "$(du -sb "$W/m3" | cut -f1)"
