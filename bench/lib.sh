# Shared helpers for the bench scripts (sourced). Every server a bench starts is on
# 127.0.0.1 and is stopped by pid when the script exits.

bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MYSQLSET=${MYSQLSET:-$bench_root/build/src/cmd/mysqlset}
pids_to_stop=()

stop_started() {
  local pid
  for pid in "${pids_to_stop[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${pids_to_stop[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
  done
  pids_to_stop=()
}

# cpu_ticks PID: utime+stime of one process, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
clk_tck=$(getconf CLK_TCK)

# free_base COUNT: a base port B with B..B+10*COUNT+2 free on 127.0.0.1.
free_base() {
  local count=$1 base p ok
  for _ in $(seq 100); do
    base=$((20000 + (RANDOM % 2000) * 20)); ok=1
    for ((p = base; p <= base + 10 * count + 2; p++)); do
      if (echo >/dev/tcp/127.0.0.1/$p) 2>/dev/null; then ok=0; break; fi
    done
    [ "$ok" = 1 ] && { echo "$base"; return; }
  done
  return 1
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

# start_agent DIR POD BASE SECRETS: sets AGENT_PID.
start_agent() {
  local dir=$1 pod=$2 base=$3 secrets=$4
  "$MYSQLSET" agent --pod-name "$pod" --conf-dir "$dir/conf" --data-dir "$dir/data" \
    --secrets-dir "$secrets" --peer-host 127.0.0.1 --port "$base" --http-port $((base + 1)) \
    --backup-port $((base + 2)) --port-stride 10 --bind-address 127.0.0.1 >>"$dir/agent.log" 2>&1 &
  pids_to_stop+=($!)
  AGENT_PID=$!
}

make_secrets() {
  mkdir -p "$1"; chmod 700 "$1"
  local f
  for f in admin-password replication-password backup-password monitor-password backup-token; do
    [ -f "$1/$f" ] || (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$1/$f")
  done
}
