#pragma once
// The readiness verdict: pure, and the only place "ready" is decided (the agent's snapshot,
// /readyz, /v1/status and the metrics all report it). The seed's `mysql -e 'SELECT 1'` said
// "ready" for a replica whose replication was broken or hours behind; this does not.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/server_state.h"

namespace mysqlset {

enum class Role { kPrimary, kReplica };
const char* RoleName(Role r);

struct ReadinessPolicy {
  int64_t max_lag_seconds = 30;
  // State older than this is stale: the loop is stuck (a call into mysqld hangs, say), so
  // what it last saw says nothing about now. See ForTick.
  double max_state_age_seconds = 5;
};

// `policy` for an agent loop that gathers every `tick`: its state is stale once three ticks
// have passed without a new one, and never sooner than policy.max_state_age_seconds.
ReadinessPolicy ForTick(ReadinessPolicy policy, std::chrono::milliseconds tick);

struct Readiness {
  bool ready = false;
  std::vector<std::string> reasons;  // why not ready; empty when ready
};

// Primary: reachable and writable. Replica: reachable, read-only, replicating with both
// threads running, no replication error, lag known and <= max_lag_seconds; and, while
// replication is not configured, a readable clone record (without it the start position is
// unknown, so PlanActions never configures replication).
// `state_age_seconds`: how long ago `state` was gathered; nullopt before the first gather
// (not ready). A verdict that would be ready is not when the state is stale.
Readiness DecideReadiness(Role role, const ServerState& state, const CloneRecordStatus& clone,
                          std::optional<double> state_age_seconds, const ReadinessPolicy& policy);

// `r`, not ready when this member holds errant GTIDs (core/errant.h; empty: none): it serves
// rows the primary `primary` ("" unknown) does not have, so it leaves the read endpoint.
Readiness WithErrantGtids(Readiness r, const GtidList& errant, const std::string& primary);

}  // namespace mysqlset
