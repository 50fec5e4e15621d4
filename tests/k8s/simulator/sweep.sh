# Sourced by the pod simulator's runners (run.sh, tests/nemesis/run_netns.sh).
# podsim_sweep RUN_ID WHO: SIGKILLs the processes of every namespace podsim-RUN_ID-* and
# deletes it, for an EXIT trap: the simulator removes its namespaces itself (on SIGTERM too),
# this sweeps what a hard crash of the test process leaves.
podsim_sweep() {
  local run_id=$1 who=$2 ns pid
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^podsim-$run_id-"); do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
    ip netns delete "$ns" 2>/dev/null
    echo "$who: swept leftover namespace $ns"
  done
}
