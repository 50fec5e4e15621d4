#pragma once
// Whether a replica whose history left the primary's re-clones itself (issue 13,
// docs/roles.md "Errant transactions"): errant GTIDs, or its IO thread stopped with 1236. Its
// datadir is then set aside under DATA/ (never deleted) and the clone step copies a healthy
// peer. Nothing is ever "repaired" by RESET MASTER or by skipping a transaction. Pure: the
// agent gathers the input and writes the request; the clone step acts on it.

#include <string>

namespace mysqlset {

// The agent's exit status after it asked for a re-clone: with `--exit-to-reclone` (local
// mode) the supervisor then stops mariadbd and runs init and clone again; with
// `--kill-server-to-reclone` (Kubernetes) it killed mariadbd first, and the mariadbd
// container's restart runs the clone step.
inline constexpr int kExitRecloneRequested = 75;

struct RecloneInput {
  std::string self;
  bool errant = false;    // the last check found GTIDs the primary never had
  bool diverged = false;  // the IO thread stopped with 1236
  // Consecutive errant checks that reached the primary and found it (a check that could not
  // read the primary neither counts nor resets).
  int failed_checks_in_a_row = 0;
  double errant_for_seconds = 0;  // since the first of them
  std::string leader;             // the leader key's member ("" none)
  std::string sync;               // the sync key's member ("" none)
  bool forced_failover = false;   // a forced failover is pending
  std::string errant_gtids;       // for the reason
};

struct ReclonePolicy {
  // One verdict is not enough: a check can race a failover (the primary it read is being
  // replaced). Three in a row, a tick apart, are ...
  int confirm_checks = 3;
  // ... held for this long: a person sees the member errant (status, /readyz, the metric,
  // the log) before its datadir moves, and a clone is not started for a passing verdict.
  double confirm_seconds = 30;
};

struct RecloneVerdict {
  bool reclone = false;
  std::string reason;  // why, or why it waits
};

RecloneVerdict DecideReclone(const RecloneInput& in, const ReclonePolicy& policy);

}  // namespace mysqlset
