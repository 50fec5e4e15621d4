#pragma once
// The readiness verdict: pure. The seed's `mysql -e 'SELECT 1'` said "ready" for a replica
// whose replication was broken or hours behind; this does not.

#include <cstdint>
#include <string>
#include <vector>

#include "core/server_state.h"

namespace mysqlset {

enum class Role { kPrimary, kReplica };
const char* RoleName(Role r);

struct ReadinessPolicy {
  int64_t max_lag_seconds = 30;
};

struct Readiness {
  bool ready = false;
  std::vector<std::string> reasons;  // why not ready; empty when ready
};

// Primary: reachable and writable. Replica: reachable, read-only, replicating with both
// threads running, no replication error, lag known and <= max_lag_seconds.
Readiness DecideReadiness(Role role, const ServerState& state, const ReadinessPolicy& policy);

}  // namespace mysqlset
