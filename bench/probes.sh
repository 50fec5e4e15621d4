#!/usr/bin/env bash
# CPU cost of readiness probes, measured on the pod side (mariadbd + agent + any process
# the probe starts) over N checks, for:
#   exec `mariadb -e 'SELECT 1'`   (the Kubernetes tutorial StatefulSet's readiness probe)
#   exec `mariadb-admin ping`      (the Kubernetes tutorial StatefulSet's liveness probe)
#   httpGet /readyz on the agent   (ours; the HTTP client is the kubelet's, reported apart)
# Also the agent's idle RSS. Prints a table and ratios against the Kubernetes tutorial StatefulSet's readiness probe.
# Usage: bench/probes.sh [N=1000] [RUNS=3]
#   env OUT=DIR also writes DIR/probes.tsv (name pod_ticks client_ticks per run, and
#   n, clk_tck, idle_rss_kib lines) for bench/run.sh.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
n=${1:-1000}
runs=${2:-3}
work=$(mktemp -d /tmp/mysqlset-bench-probes-XXXXXX)
trap 'stop_started; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT

base=$(free_base 1)
make_secrets "$work/secrets"
start_member "$work/m0" mysql-0 "$base" "$work/secrets"
mysqld_pid=$MEMBER_PID
start_etcd "$work/etcd" "$base" || { echo "etcd never answered" >&2; exit 1; }
start_agent "$work/m0" mysql-0 "$base" "$work/secrets"
agent_pid=$AGENT_PID
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$((base + 1))/readyz" >/dev/null && break; sleep 0.2; done
printf '[client]\nuser=monitor\npassword=%s\nhost=127.0.0.1\nport=%s\n' \
  "$(cat "$work/secrets/monitor-password")" "$base" >"$work/monitor.cnf"
chmod 600 "$work/monitor.cnf"
sleep 2
idle_rss=$(rss_kib "$agent_pid")

# measure NAME COMMAND...: prints "NAME pod_ms_per_probe client_ms_per_probe"
measure() {
  local name=$1; shift
  local m0 a0 m1 a1 c0 c1
  m0=$(cpu_ticks "$mysqld_pid"); a0=$(cpu_ticks "$agent_pid")
  c0=$(awk '{print $16 + $17}' /proc/$$/stat)  # children's utime+stime, reaped
  for ((i = 0; i < n; i++)); do "$@" >/dev/null 2>&1 || true; done
  m1=$(cpu_ticks "$mysqld_pid"); a1=$(cpu_ticks "$agent_pid")
  c1=$(awk '{print $16 + $17}' /proc/$$/stat)
  echo "$name $(( (m1 - m0) + (a1 - a0) )) $(( c1 - c0 ))"
}

results=$work/results
for r in $(seq "$runs"); do
  measure exec_select1 mariadb --defaults-extra-file="$work/monitor.cnf" -e 'SELECT 1' >>"$results"
  measure exec_admin_ping mariadb-admin --defaults-extra-file="$work/monitor.cnf" ping >>"$results"
  measure http_readyz curl -sf "http://127.0.0.1:$((base + 1))/readyz" >>"$results"
done

if [ -n "${OUT:-}" ]; then
  mkdir -p "$OUT"
  { cat "$results"; echo "n $n 0"; echo "clk_tck $clk_tck 0"; echo "idle_rss_kib $idle_rss 0"; } >"$OUT/probes.tsv"
fi

python3 - "$results" "$n" "$clk_tck" "$idle_rss" <<'PY'
import sys, statistics
path, n, tck, rss = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rows = {}
for line in open(path):
    name, pod, client = line.split()
    rows.setdefault(name, []).append((int(pod), int(client)))
ms = lambda ticks: ticks * 1000.0 / tck / n
def stats(vals):
    return min(vals), statistics.median(vals), max(vals)
print(f"Readiness probe CPU, {n} checks per run, {len(rows['http_readyz'])} runs (ms of CPU per probe)")
print(f"{'probe':<18} {'pod side min/med/max':>24} {'probe process min/med/max':>28} {'total med':>10}")
med_total = {}
for name in ("exec_select1", "exec_admin_ping", "http_readyz"):
    pod = [ms(p) for p, c in rows[name]]
    cli = [ms(c) for p, c in rows[name]]
    tot = [ms(p + c) for p, c in rows[name]]
    # exec probes run inside the pod: their process is pod-side cost too.
    pod_side = tot if name.startswith("exec") else pod
    med_total[name] = statistics.median(pod_side)
    a, b, c = stats(pod_side); d, e, f = stats(cli)
    print(f"{name:<18} {a:7.3f}/{b:7.3f}/{c:7.3f} {d:9.3f}/{e:7.3f}/{f:7.3f} {statistics.median(tot):10.3f}")
base = med_total["exec_select1"]
for name in ("exec_admin_ping", "http_readyz"):
    r = med_total[name] / base if base else float('nan')
    print(f"ratio pod-side {name} / exec_select1 = {r:.3f}")
print(f"agent idle RSS: {rss/1024:.1f} MiB")
PY
