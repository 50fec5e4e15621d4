# Shared helpers for the bench scripts (sourced). Every server a bench starts is on
# 127.0.0.1 and is stopped by pid when the script exits.

bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MYSQLSET=${MYSQLSET:-$bench_root/build/src/cmd/mysqlset}
pids_to_stop=()

stop_started() {
  local pid
  for pid in "${pids_to_stop[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids_to_stop[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  pids_to_stop=()
}

# cpu_ticks PID: utime+stime of one process, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
clk_tck=$(getconf CLK_TCK)

# free_base COUNT [LO HI]: $BENCH_BASE_PORT if set, else a base port B with B-16..B+10*COUNT+2
# free on 127.0.0.1 (B-16..B-7 are the local cluster's etcd members, B-6 and B-5 its write and
# read endpoints), B one of LO, LO+20, ... below HI (default 20000..32000: below 32768, so
# never an ephemeral port).
free_base() {
  local count=$1 lo=${2:-20000} slots=$(((${3:-32000} - ${2:-20000}) / 20)) base p ok
  if [ -n "${BENCH_BASE_PORT:-}" ]; then echo "$BENCH_BASE_PORT"; return; fi
  for _ in $(seq 100); do
    base=$((lo + (RANDOM % slots) * 20)); ok=1
    for ((p = base - 16; p <= base + 10 * count + 2; p++)); do
      if (echo >/dev/tcp/127.0.0.1/$p) 2>/dev/null; then ok=0; break; fi
    done
    [ "$ok" = 1 ] && { echo "$base"; return; }
  done
  return 1
}

# Local clusters a bench started: their dirs go into `active`; cleanup_clusters (the EXIT
# trap) stops each (`mysqlset down --purge`, output in $W/down.log), then what stop_started
# stops, and removes the work dir $W unless KEEP is set.
active=()
cleanup_clusters() {
  local d
  for d in "${active[@]}"; do "$MYSQLSET" down --dir "$d" --purge >>"$W/down.log" 2>&1 || true; done
  stop_started
  [[ -n ${KEEP:-} ]] || rm -rf "$W"
}

# grow_sbtest TARGET_BYTES: copies sbtest.sbtest1 into sbtest2, sbtest3 ... (not binlogged:
# the copies are a data set, not load) until the caller's datadir_bytes reaches 97% of
# TARGET_BYTES, at most 64 copies, with the caller's `sql`; ntables counts the tables.
grow_sbtest() {
  for _ in $(seq 64); do
    [ "$(datadir_bytes)" -ge $(($1 * 97 / 100)) ] && break
    ntables=$((ntables + 1))
    sql -e "SET SESSION sql_log_bin=0; CREATE TABLE sbtest.sbtest$ntables LIKE sbtest.sbtest1;
            INSERT INTO sbtest.sbtest$ntables SELECT * FROM sbtest.sbtest1"
  done
}

# start_member DIR POD BASE SECRETS: init + clone (bootstrap for ordinal 0) + mariadbd.
# Sets MEMBER_PID (call it directly, not in $(...), so the pid is tracked for stopping).
start_member() {
  local dir=$1 pod=$2 base=$3 secrets=$4 ord=${2##*-}
  local port=$((base + 10 * ord))
  mkdir -p "$dir"
  "$MYSQLSET" init --pod-name "$pod" --conf-dir "$dir/conf" --config-map-dir "$bench_root/config" \
    --data-dir "$dir/data" --port "$port" --bind-address 127.0.0.1 --report-host 127.0.0.1 >>"$dir/log" 2>&1
  "$MYSQLSET" clone --pod-name "$pod" --conf-dir "$dir/conf" --data-dir "$dir/data" \
    --secrets-dir "$secrets" --peer-host 127.0.0.1 --port "$base" --http-port $((base + 1)) \
    --backup-port $((base + 2)) --port-stride 10 >>"$dir/log" 2>&1
  mariadbd --defaults-file="$dir/conf/my.cnf" --user=root >>"$dir/log" 2>&1 &
  pids_to_stop+=($!)
  MEMBER_PID=$!
  for _ in $(seq 300); do [ -S "$dir/data/mysqld.sock" ] && break; sleep 0.1; done
}

# start_etcd DIR BASE: one etcd member on BASE-16 (client) and BASE-15 (peer), data in
# DIR/etcd; the agent needs one (--etcd) since roles moved to the store. Sets ETCD_URL.
start_etcd() {
  local dir=$1 base=$2 i
  local client=http://127.0.0.1:$(($2 - 16)) peer=http://127.0.0.1:$(($2 - 15))
  mkdir -p "$dir"
  etcd --name bench --data-dir "$dir/etcd" --listen-client-urls "$client" \
    --advertise-client-urls "$client" --listen-peer-urls "$peer" \
    --initial-advertise-peer-urls "$peer" --initial-cluster "bench=$peer" \
    --heartbeat-interval 10 --election-timeout 100 >>"$dir/etcd.log" 2>&1 &
  pids_to_stop+=($!)
  ETCD_URL=$client
  for ((i = 0; i < 100; i++)); do curl -sf "$client/health" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}

# start_agent DIR POD BASE SECRETS: sets AGENT_PID. Needs start_etcd first (ETCD_URL).
start_agent() {
  local dir=$1 pod=$2 base=$3 secrets=$4
  "$MYSQLSET" agent --pod-name "$pod" --conf-dir "$dir/conf" --data-dir "$dir/data" \
    --secrets-dir "$secrets" --peer-host 127.0.0.1 --port "$base" --http-port $((base + 1)) \
    --backup-port $((base + 2)) --port-stride 10 --bind-address 127.0.0.1 \
    --etcd "$ETCD_URL" >>"$dir/agent.log" 2>&1 &
  pids_to_stop+=($!)
  AGENT_PID=$!
}

make_secrets() {
  mkdir -p "$1"; chmod 700 "$1"
  local f
  for f in admin-password replication-password backup-password monitor-password backup-token app-password; do
    [ -f "$1/$f" ] || (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$1/$f")
  done
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }

# sample_rss PID OUT [PERIOD=0.1]: append VmRSS (KiB) of PID to OUT every PERIOD seconds
# until PID exits or stop_sampler is called (at most 30 min). Sets SAMPLER_PID.
sample_rss() {
  local pid=$1 out=$2 period=${3:-0.1}
  (for _ in $(seq 18000); do
     k=; v=
     { while read -r k v _; do [ "$k" = VmRSS: ] && break; done <"/proc/$pid/status"; } 2>/dev/null || break
     [ "$k" = VmRSS: ] || break
     echo "$v" >>"$out"; sleep "$period"
   done) &
  SAMPLER_PID=$!
}
stop_sampler() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# admin_cnf SECRETS PORT OUT: a 0600 [client] option file for the admin account.
admin_cnf() {
  (umask 077; printf '[client]\nuser=admin\npassword=%s\nhost=127.0.0.1\nport=%s\n' \
    "$(cat "$1/admin-password")" "$2" >"$3")
}

# wait_http URL [TRIES=300]: poll every 0.2 s until URL answers 2xx.
wait_http() {
  local i
  for ((i = 0; i < ${2:-300}; i++)); do curl -sf "$1" >/dev/null 2>&1 && return 0; sleep 0.2; done
  return 1
}

# wait_listen PORT: until something listens on 127.0.0.1:PORT (at most 10 s).
wait_listen() {
  local i
  for ((i = 0; i < 200; i++)); do
    [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ] && return 0; sleep 0.05
  done
  return 1
}
