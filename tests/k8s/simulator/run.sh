#!/usr/bin/env bash
# Runs the pod-simulator walkthrough: renders deploy/kubernetes with kubectl kustomize and runs
# the StatefulSet in Linux namespaces against a built mysqlset binary. Builds nothing.
#
#   sudo bash tests/k8s/simulator/run.sh [path/to/mysqlset]   (default: build/src/cmd/mysqlset)
#
# Env: PODSIM_TIME_SCALE (probe delays/periods, back-off, grace; default 1.0),
#      PODSIM_KEEP=1 keeps the run dir (/tmp/podsim-<run>) even when everything passed,
#      PODSIM_SHORT=1 runs only etcd, the router, start-up, writes and reads (and the switchover,
#      pod deletion and failover steps when on),
#      PODSIM_SWITCHOVER=1|0 forces or skips the switchover step (default: on when the binary
#      has `mysqlset switchover`), PODSIM_COLD_RESTART=1 adds the cold restart after it,
#      PODSIM_FAILOVER=1|0 and PODSIM_CRASH=1|0 the failover drills (partition and heal of the
#      primary pod; crash of it), on with the switchover unless set,
#      PODSIM_TWO_CLUSTERS=1 adds a second cluster (overlays/second-cluster, orders-…) beside
#      the first at the end (about 60 s more, so off by default),
#      PODSIM_BACKUP=1 renders deploy/kubernetes/backup instead (the base plus backups) and runs
#      its two CronJobs once each after the reads (about 90 s more).
# Ends with "N passed, M failed"; exit status non-zero on any failure. Needs root.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
binary=${1:-$root/build/src/cmd/mysqlset}

if [ "$(id -u)" -ne 0 ]; then
  echo "podsim: error: needs root (network/mount/UTS namespaces); run with sudo"
  echo "0 passed, 1 failed"
  exit 1
fi
if [ ! -x "$binary" ]; then
  echo "podsim: error: no mysqlset binary at $binary; build it (scripts/build.sh) or pass its path"
  echo "0 passed, 1 failed"
  exit 1
fi
for tool in kubectl ip nsenter unshare mariadb mariadbd mariabackup python3 etcd haproxy; do
  command -v "$tool" >/dev/null || { echo "podsim: error: $tool not found (scripts/setup.sh --tests)"; echo "0 passed, 1 failed"; exit 1; }
done
python3 -c 'import yaml' 2>/dev/null || { echo "podsim: error: python3-yaml missing (scripts/setup.sh --tests)"; echo "0 passed, 1 failed"; exit 1; }

run_id=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
export PODSIM_RUN_ID=$run_id
manifests=$(mktemp /tmp/podsim-manifests.XXXXXX.yaml)
source "$here/sweep.sh"
# Belt and braces: if the test process dies hard, remove what is left of this run's namespaces.
second=""
second_dir=""
sweep() {
  rm -f "$manifests"
  [ -n "$second" ] && rm -f "$second"
  [ -n "$second_dir" ] && rm -rf "$second_dir"
  podsim_sweep "$run_id" podsim
}
trap sweep EXIT

layer=deploy/kubernetes
[ "${PODSIM_BACKUP:-0}" = 1 ] && layer=deploy/kubernetes/backup
kubectl kustomize "$root/$layer" >"$manifests" || {
  echo "podsim: error: kubectl kustomize $layer failed"
  echo "0 passed, 1 failed"
  exit 1
}
keep=()
if [ "${PODSIM_TWO_CLUSTERS:-0}" = 1 ]; then
  # The overlay as a user applies it: a copy of deploy/kubernetes, with secrets.env made as
  # docs/kubernetes.md says (random values; the copy goes at exit).
  second_dir=$(mktemp -d /tmp/podsim-second.XXXXXX)
  second=$(mktemp /tmp/podsim-second-manifests.XXXXXX.yaml)
  cp -r "$root/deploy/kubernetes" "$second_dir/"
  for k in admin-password replication-password backup-password monitor-password backup-token app-password; do
    echo "$k=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
  done >"$second_dir/kubernetes/overlays/second-cluster/secrets.env"
  kubectl kustomize "$second_dir/kubernetes/overlays/second-cluster" >"$second" || {
    echo "podsim: error: kubectl kustomize deploy/kubernetes/overlays/second-cluster failed"
    echo "0 passed, 1 failed"
    exit 1
  }
  keep+=(--second-cluster "$second")
fi
[ "${PODSIM_KEEP:-0}" = 1 ] && keep+=(--keep-logs)
[ "${PODSIM_SHORT:-0}" = 1 ] && keep+=(--short)
# The switchover step needs the agent's roles (issue 12): on when the binary has the
# `switchover` command, unless PODSIM_SWITCHOVER says otherwise (1 forces it, 0 skips it).
if [ -z "${PODSIM_SWITCHOVER:-}" ]; then
  PODSIM_SWITCHOVER=0
  "$binary" switchover --help >/dev/null 2>&1 && PODSIM_SWITCHOVER=1
fi
[ "$PODSIM_SWITCHOVER" = 1 ] && keep+=(--switchover)
[ "${PODSIM_COLD_RESTART:-0}" = 1 ] && keep+=(--cold-restart)
# Failover drills (issue 13), after the switchover steps: PODSIM_FAILOVER=1 (default: as
# PODSIM_SWITCHOVER) partitions the primary pod and heals it; PODSIM_CRASH=1 (default: as
# PODSIM_FAILOVER) also crashes the primary pod (kill -9 of everything in it, no preStop).
[ "${PODSIM_FAILOVER:-$PODSIM_SWITCHOVER}" = 1 ] && keep+=(--failover)
[ "${PODSIM_CRASH:-${PODSIM_FAILOVER:-$PODSIM_SWITCHOVER}}" = 1 ] && keep+=(--crash)
[ "${PODSIM_BACKUP:-0}" = 1 ] && keep+=(--backup)
# The walkthrough cleans up on SIGINT (Ctrl-C reaches it: --foreground keeps it in the
# terminal's process group) and on the SIGTERM of timeout, which bounds the whole run.
timeout --foreground --signal=TERM --kill-after=60 900 \
  python3 -u "$here/test_walkthrough.py" --manifests "$manifests" --binary "$binary" "${keep[@]}"
