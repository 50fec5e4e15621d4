#!/usr/bin/env bash
# Every benchmark, side by side with what users would pick instead, in one command:
#
#   bash bench/run.sh            full run (< 20 min on a 2-core VM): writes docs/benchmarks.md
#                                and docs/img/*.png
#   bash bench/run.sh --quick    smoke run (~4 min): small data, fewer runs; writes the report
#                                into the results dir only, never into docs/
#   bash bench/run.sh --large    adds a 5 GB point to the clone bench (2 runs; ~6 min more)
#   options: --only "clone probes cluster"  run some sections (the report covers what ran)
#            --out DIR                      keep raw results in DIR (default: a temp dir)
#            --docs / --no-docs             force writing docs/ (or not)
#   env: MYSQLSET=path skips the build (default: build into build-bench/ and copy the binary)
#
# Sections: clone (clone_bench.sh: clone time and MB/s for ~0.5/1/2 GB, agent vs ncat RSS),
# probes (probes.sh: CPU per readiness probe), cluster (cluster_bench.sh: time to ready for
# 1/3/5 members, replication lag under load with the Kubernetes tutorial StatefulSet's config and ours, scale 3→5 with
# ~1 GB), and, only with --only switchover, switchover (switchover_bench.sh: write pause over
# 10 switchovers under sysbench), and, only with --only failover, failover (failover_bench.sh:
# time to a new writable primary per fault, RUNS runs each), only with --only backup,
# backup (backup_bench.sh: backup time and MB/s for ~1 GB next to plain mariabackup, restore
# time to a point in time, the binlog archive's lag under sysbench), and, only with --only
# semisync, semisync (semisync_bench.sh: TPS and p99 with semi-sync on against off, 1/4/16
# threads). Loopback only; every server started is stopped by pid or by `mysqlset down`.
# Nothing here asserts: the numbers go to the report.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
quick=0; large=0; only="clone probes cluster"; out=; docs=
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1 ;;
    --large) large=1 ;;
    --only) only=$2; shift ;;
    --out) out=$2; shift ;;
    --docs) docs=1 ;;
    --no-docs) docs=0 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$docs" ] || { [ "$quick" = 1 ] && docs=0 || docs=1; }
for tool in sysbench mariadbd mariabackup mbstream ncat haproxy gnuplot python3 curl; do
  command -v "$tool" >/dev/null || { echo "missing $tool (bash scripts/setup.sh --tests installs it)" >&2; exit 2; }
done

t_start=$(date +%s)
out=${out:-$(mktemp -d /tmp/mysqlset-bench-results-XXXXXX)}
mkdir -p "$out"
echo "results: $out" >&2

if [ -z "${MYSQLSET:-}" ]; then
  echo "== build (build-bench/)" >&2
  cmake -S "$root" -B "$root/build-bench" -G Ninja -DMYSQLSET_BUILD_TESTS=OFF >/dev/null
  ninja -C "$root/build-bench" -j2 mysqlset >/dev/null
  mkdir -p "$out/bin"
  cp "$root/build-bench/src/cmd/mysqlset" "$out/bin/mysqlset"  # immune to rebuilds meanwhile
  MYSQLSET=$out/bin/mysqlset
fi
t_bench=$(date +%s)
export MYSQLSET

# The machine, for the report.
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "cpu: $(nproc) x $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
  echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "disk: $(df -h /tmp | awk 'NR==2 {print $1 ", " $2 " (" $4 " free)"}'), $(findmnt -no FSTYPE -T /tmp)"
  echo "kernel: $(uname -r)"
  echo "mariadb: $(mariadbd --version | awk '{print $3}')"
  echo "sysbench: $(sysbench --version | awk '{print $2}')"
  echo "haproxy: $(haproxy -v | awk 'NR==1 {print $3}')"
  echo "ncat: $(ncat --version 2>&1 | awk '{print $3}')"
  echo "mysqlset: $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- src 2>/dev/null || echo ' (+ uncommitted src changes)')"
  echo "load_start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "quick: $quick"
  echo "large: $large"
} >"$out/machine.txt"

# Load average every 10 s while the benches run (the machine is shared).
(for _ in $(seq 720); do echo "$(date +%s) $(cut -d' ' -f1 /proc/loadavg)" >>"$out/loadavg.txt"; sleep 10; done) &
load_pid=$!
trap 'kill $load_pid 2>/dev/null || true' EXIT

has() { [[ " $only " == *" $1 "* ]]; }
section() { echo "== $1 ($(date +%T), load $(cut -d' ' -f1 /proc/loadavg))" >&2; }
if [ "$quick" = 1 ]; then
  clone_env=(SIZES_MB="100 200" ROWS=100000 RUNS=1 RUNS_LARGEST=1)
  probe_args=(100 1)
  cluster_env=(MEMBERS="1 3" RUNS=1 LAG_RUNS=1 LAG_SECONDS=8 LAG_ROWS=10000 SCALE_MB=150 SCALE_ROWS=100000)
else
  # ~4.5 min on this machine; set RUNS_LARGEST=2 (env) if the 2 GB runs push the whole bench
  # past 20 minutes on a slower or busier machine.
  clone_env=(SIZES_MB="500 1000 2000" ROWS=1000000 RUNS=3 RUNS_LARGEST=${RUNS_LARGEST:-3})
  # The 5 GB point shows how the cost grows past the page cache's easy range (issue 19).
  [ "$large" = 0 ] || clone_env=(SIZES_MB="500 1000 2000 5000" ROWS=1000000 RUNS=3 RUNS_LARGEST=${RUNS_LARGEST:-2})
  probe_args=(1000 3)
  cluster_env=(MEMBERS="1 3 5" RUNS=3 LAG_RUNS=3 LAG_SECONDS=20 LAG_ROWS=100000 SCALE_MB=1000 SCALE_ROWS=1000000)
fi

# The parameters, for the report.
for kv in "${clone_env[@]}" "${cluster_env[@]}"; do
  k=${kv%%=*}; echo "$(echo "$k" | tr 'A-Z' 'a-z'): ${kv#*=}"
done | sed 's/^rows:/rows:/' >>"$out/machine.txt"
echo "lag_threads: 4" >>"$out/machine.txt"
echo "probes: ${probe_args[*]}" >>"$out/machine.txt"

status=0
if has clone; then
  section clone
  env "${clone_env[@]}" OUT="$out" bash "$here/clone_bench.sh" || { echo "clone bench failed" >&2; status=1; }
fi
if has probes; then
  section probes
  OUT="$out" bash "$here/probes.sh" "${probe_args[@]}" || { echo "probe bench failed" >&2; status=1; }
fi
if has cluster; then
  section cluster
  env "${cluster_env[@]}" OUT="$out" bash "$here/cluster_bench.sh" || { echo "cluster bench failed" >&2; status=1; }
fi
if has switchover; then  # not in the default set: --only switchover (issue 12's closing figures)
  section switchover
  mkdir -p "$out/switchover"
  OUT="$out/switchover" bash "$here/switchover_bench.sh" || { echo "switchover bench failed" >&2; status=1; }
fi

if has failover; then  # not in the default set: --only failover (issue 13's closing figures)
  section failover
  mkdir -p "$out/failover"
  OUT="$out/failover" bash "$here/failover_bench.sh" || { echo "failover bench failed" >&2; status=1; }
fi

if has backup; then  # not in the default set: --only backup (issue 15's closing figures)
  section backup
  mkdir -p "$out/backup"
  backup_env=(); [ "$quick" = 1 ] && backup_env=(SHORT=1)
  env "${backup_env[@]}" OUT="$out/backup" bash "$here/backup_bench.sh" || { echo "backup bench failed" >&2; status=1; }
fi

if has semisync; then  # not in the default set: --only semisync (issue 14: semi-sync on vs off)
  section semisync
  mkdir -p "$out/semisync"
  OUT="$out/semisync" bash "$here/semisync_bench.sh" || { echo "semisync bench failed" >&2; status=1; }
fi

echo "load_end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/machine.txt"
echo "runtime_s: $(( $(date +%s) - t_start ))" >>"$out/machine.txt"
echo "build_s: $(( t_bench - t_start ))" >>"$out/machine.txt"
section report
if [ "$docs" = 1 ]; then
  python3 "$here/report.py" "$out" "$root/docs/benchmarks.md" "$root/docs/img"
else
  python3 "$here/report.py" "$out" "$out/benchmarks.md" "$out/img"
fi
echo "total: $(( $(date +%s) - t_start )) s" >&2
exit $status
