#!/usr/bin/env bash
# The HA nemesis with network partitions, in the pod simulator (tests/nemesis/README.md,
# "Partitions"): each member, etcd member and router pod in its own netns.
#   sudo tests/nemesis/run_netns.sh BINARY [--seed N] [more netns_nemesis.py flags]
# Short mode (default, fixed seed 23, about 4 minutes): 8 faults of 2-10 s within 120 s.
# MYSQLSET_NEMESIS=long: 30 minutes of faults of 2-15 s, a random seed (printed first).
# Exit 0 when every check held; 1 on a violation (named); 2 when the harness cannot run.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
[[ $# -ge 1 ]] || { echo "usage: $0 BINARY [--seed N] [netns_nemesis.py flags]" >&2; exit 2; }
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shift
[[ -x $bin ]] || { echo "missing $bin: build first" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "needs root (network namespaces, veths, tc)" >&2; exit 2; }
PY=${PY:-/usr/bin/python3}
for tool in kubectl ip tc nsenter unshare mariadbd etcd haproxy; do
  command -v "$tool" >/dev/null || { echo "missing $tool (scripts/setup.sh --tests)" >&2; exit 2; }
done
"$PY" -c "import pymysql, yaml" 2>/dev/null \
  || { echo "missing python3-pymysql or python3-yaml (scripts/setup.sh --tests)" >&2; exit 2; }
# The pure parts first (no cluster, under a second): the checks, and the seeded schedules.
"$PY" "$here/checker_test.py" 2>&1 | tail -1
"$PY" "$here/schedule_test.py" 2>&1 | tail -1
case ${MYSQLSET_NEMESIS:-short} in
  short) mode=(--seed 23 --faults 8 --seconds 120 --min-duration 2 --max-duration 10) ;;
  long) mode=(--faults 400 --seconds 1800 --min-duration 2 --max-duration 15) ;;
  *) echo "MYSQLSET_NEMESIS must be short or long" >&2; exit 2 ;;
esac
run_id=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
export PODSIM_RUN_ID=$run_id
manifests=$(mktemp /tmp/nemesis-manifests.XXXXXX.yaml)
# The simulator removes its namespaces itself; the trap sweeps what a hard crash leaves.
source "$root/tests/k8s/simulator/sweep.sh"
sweep() {
  rm -f "$manifests"
  podsim_sweep "$run_id" "netns nemesis"
  # The members' loop-mounted volumes (netns_nemesis.py make_disks), if the run died hard.
  local m
  for m in $(awk -v p="/tmp/podsim-$run_id/" 'index($2, p) == 1 { print $2 }' /proc/mounts); do
    umount "$m" 2>/dev/null || umount -l "$m"
    echo "netns nemesis: unmounted leftover volume $m"
  done
  rm -f /tmp/podsim-"$run_id"/disks/*.img
}
trap sweep EXIT
kubectl kustomize "$root/deploy/kubernetes" >"$manifests" 2>/dev/null \
  || { echo "kubectl kustomize deploy/kubernetes failed" >&2; exit 2; }
# Bounded as a whole: the long mode's 1800 s of faults, recoveries and the checks fit in 3000 s.
bound=600
[[ ${MYSQLSET_NEMESIS:-short} == long ]] && bound=3000
timeout --foreground --signal=TERM --kill-after=60 "$bound" \
  "$PY" -u "$here/netns_nemesis.py" --manifests "$manifests" --binary "$bin" "${mode[@]}" "$@"
