#!/usr/bin/env bash
# Time to ready of `mysqlset up` on empty data, next to a dbdeployer-style baseline measured
# in the same run, all on 127.0.0.1:
#   mysqlset: `mysqlset up --replicas N` into a fresh dir (returns once every member is ready
#             and HAProxy routes to it), then `mysqlset down --purge`;
#             Its bootstrap copies the cached template datadir (agent/datadir_template.h),
#             kept for the run under the temp dir and made by one untimed 1-member `up` first;
#   nocache:  the same with MYSQLSET_TEMPLATE_CACHE=off (mariadb-install-db every time), if
#             NOCACHE=1;
#   before:   the same with MYSQLSET_BEFORE (another build), if set: runs alternate with the
#             ones above, so that the load of this shared machine hits both alike;
#   baseline: what dbdeployer's `deploy replication` does: per node, sequentially,
#             mariadb-install-db, then mariadbd; then CHANGE MASTER + START SLAVE on each
#             replica, until every replica's IO and SQL threads run. Stopped by pid.
# Prints one line per kind and size: the median of RUNS runs, min and max, and the load
# average at the start and end of the run. Asserts nothing.
#
# env: MEMBERS ("3 5"), RUNS (5), MYSQLSET, MYSQLSET_BEFORE (unset: no "before" rows), NOCACHE,
#      OUT (raw times, default a temp dir), KEEP=1 keeps the temp dir.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
MEMBERS=${MEMBERS:-3 5}
RUNS=${RUNS:-5}
[[ -x $MYSQLSET ]] || { echo "missing $MYSQLSET: build first (or set MYSQLSET)" >&2; exit 2; }
if [[ -n ${MYSQLSET_BEFORE:-} && ! -x $MYSQLSET_BEFORE ]]; then
  echo "MYSQLSET_BEFORE=$MYSQLSET_BEFORE is not an executable" >&2; exit 2
fi
for tool in mariadb-install-db mariadbd mariadb; do
  command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 2; }
done

W=$(mktemp -d /tmp/mub-XXXXXX)  # short: socket paths live under it
OUT=${OUT:-$W/out}
mkdir -p "$OUT"
active=()  # "BINARY DIR" of clusters to take down on exit
cleanup() {
  local e
  for e in "${active[@]}"; do ${e% *} down --dir "${e#* }" --purge >>"$W/down.log" 2>&1 || true; done
  stop_started
  [[ -n ${KEEP:-} ]] || rm -rf "$W"
}
trap cleanup EXIT
log() { echo "[up_bench $(date +%T)] $*" >&2; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# Run as root, mariadb-install-db and mariadbd must be told to run as root.
install_root=(); server_root=()
[ "$EUID" = 0 ] && install_root=(-uroot) && server_root=(--user=root)

# up_once BINARY N: sets SECS to the seconds from `up` to its return (every member ready),
# then down --purge. Not in $(...): the cleanup must know what it started.
up_once() {
  local bin=$1 n=$2 dir base t0
  dir=$(mktemp -d "$W/c-XXXX")
  base=$(free_base "$n")
  active+=("$bin $dir")
  t0=$(now)
  MYSQLSET_TEMPLATE_CACHE=${cache:-$W/templates} "$bin" up --dir "$dir" --replicas "$n" --base-port "$base" --timeout 300 >>"$dir.up.log" 2>&1 \
    || { echo "up failed, see $dir.up.log" >&2; tail -20 "$dir.up.log" >&2; return 1; }
  SECS=$(elapsed "$t0")
  "$bin" down --dir "$dir" --purge >>"$dir.down.log" 2>&1 || true
  active=()
}

# baseline_once N: dbdeployer-style replication on loopback; sets SECS to the seconds to
# running replication on every replica, then stops the servers by pid.
baseline_once() {
  local n=$1 dir base t0 i port sock ok
  dir=$(mktemp -d "$W/b-XXXX")
  base=$(free_base "$n")
  t0=$(now)
  for ((i = 0; i < n; i++)); do
    port=$((base + 10 * i)); sock=$dir/n$i/s.sock
    mariadb-install-db --no-defaults --datadir="$dir/n$i/data" --auth-root-authentication-method=socket \
      --skip-test-db --skip-name-resolve "${install_root[@]}" >>"$dir/install.log" 2>&1
    mariadbd --no-defaults --datadir="$dir/n$i/data" --port="$port" --bind-address=127.0.0.1 \
      --socket="$sock" --pid-file="$dir/n$i/pid" --log-error="$dir/n$i/err.log" --server-id=$((i + 1)) \
      --log-bin=mysql-bin --log-slave-updates --gtid-strict-mode=ON --tmpdir="$dir/n$i" \
      "${server_root[@]}" >>"$dir/server.log" 2>&1 &
    pids_to_stop+=($!)
    for _ in $(seq 600); do mariadb -S "$sock" -uroot -e 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.05; done
  done
  mariadb -S "$dir/n0/s.sock" -uroot -e "CREATE USER repl@'127.0.0.1' IDENTIFIED BY 'bench'; \
    GRANT REPLICATION SLAVE ON *.* TO repl@'127.0.0.1'"
  for ((i = 1; i < n; i++)); do
    mariadb -S "$dir/n$i/s.sock" -uroot -e "CHANGE MASTER TO MASTER_HOST='127.0.0.1', \
      MASTER_PORT=$base, MASTER_USER='repl', MASTER_PASSWORD='bench', MASTER_USE_GTID=slave_pos; \
      START SLAVE"
  done
  for ((i = 1; i < n; i++)); do
    ok=0
    for _ in $(seq 600); do
      if mariadb -S "$dir/n$i/s.sock" -uroot -e 'SHOW SLAVE STATUS\G' 2>/dev/null \
        | grep -c 'Running: Yes' | grep -qx 2; then ok=1; break; fi
      sleep 0.05
    done
    [ "$ok" = 1 ] || { echo "baseline: replica $i never ran, see $dir" >&2; return 1; }
  done
  SECS=$(elapsed "$t0")
  stop_started
  rm -rf "$dir"
}

median_line() {  # KIND N FILE
  sort -n "$3" | awk -v k="$1" -v n="$2" '{ v[NR] = $1 } END {
    if (NR == 0) exit
    m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%-9s %d members: median %6.2f s  (min %.2f, max %.2f, %d runs)\n", k, n, m, v[1], v[NR], NR }'
}

cache=""
up_once "$MYSQLSET" 1  # makes the template datadir (untimed)
log "template made in ${SECS}s: $(ls "$W/templates")"
load_start=$(loadavg)
log "load average at start: $load_start"
for n in $MEMBERS; do
  for ((r = 1; r <= RUNS; r++)); do
    # Alternate the order each run so neither kind always follows the other.
    kinds="mysqlset baseline"
    [[ -n ${MYSQLSET_BEFORE:-} ]] && kinds="before $kinds"
    [[ -n ${NOCACHE:-} ]] && kinds="nocache $kinds"
    (( r % 2 == 0 )) && kinds=$(echo "$kinds" | tr ' ' '\n' | tac | tr '\n' ' ')
    for kind in $kinds; do
      case $kind in
        mysqlset) cache="" up_once "$MYSQLSET" "$n" ;;
        nocache) cache=off up_once "$MYSQLSET" "$n" ;;
        before) up_once "$MYSQLSET_BEFORE" "$n" ;;
        baseline) baseline_once "$n" ;;
      esac
      echo "$SECS" >>"$OUT/$kind-$n.txt"
      log "$kind $n members, run $r/$RUNS: ${SECS}s (load $(loadavg))"
    done
  done
done
load_end=$(loadavg)
echo "time to ready, median of $RUNS (load average at start: $load_start; at end: $load_end)"
for n in $MEMBERS; do
  for kind in before nocache mysqlset baseline; do
    [[ -f $OUT/$kind-$n.txt ]] && median_line "$kind" "$n" "$OUT/$kind-$n.txt"
  done
done
