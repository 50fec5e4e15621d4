#include "core/readiness.h"

#include "fmt/format.h"

namespace mysqlset {

const char* RoleName(Role r) { return r == Role::kPrimary ? "primary" : "replica"; }

Readiness DecideReadiness(Role role, const ServerState& s, const ReadinessPolicy& policy) {
  Readiness r;
  if (!s.reachable) {
    r.reasons.push_back("mysqld is not answering: " + s.unreachable_reason);
    return r;
  }
  if (role == Role::kPrimary) {
    if (s.read_only) r.reasons.push_back("primary is read-only (not yet made writable)");
    if (!s.accounts_present) r.reasons.push_back("mysqlset accounts are missing");
  } else {
    if (!s.read_only) r.reasons.push_back("replica is writable; it must be read-only");
    if (!s.replica) {
      r.reasons.push_back("replication is not configured");
    } else {
      const ReplicaStatus& rs = *s.replica;
      if (rs.last_sql_errno != 0) {
        r.reasons.push_back(fmt::format("replication SQL error {}: {}", rs.last_sql_errno,
                                        rs.last_sql_error));
      }
      if (rs.last_io_errno != 0) {
        r.reasons.push_back(
            fmt::format("replication IO error {}: {}", rs.last_io_errno, rs.last_io_error));
      }
      if (rs.io != ThreadState::kYes) {
        r.reasons.push_back(rs.io == ThreadState::kConnecting
                                ? fmt::format("replication IO thread is connecting to {}:{}",
                                              rs.source_host, rs.source_port)
                                : "replication IO thread is stopped");
      }
      if (rs.sql != ThreadState::kYes) r.reasons.push_back("replication SQL thread is stopped");
      if (rs.io == ThreadState::kYes && rs.sql == ThreadState::kYes) {
        if (!rs.seconds_behind) {
          r.reasons.push_back("replication lag is unknown");
        } else if (*rs.seconds_behind > policy.max_lag_seconds) {
          r.reasons.push_back(fmt::format("replication lag {} s is over the {} s threshold",
                                          *rs.seconds_behind, policy.max_lag_seconds));
        }
      }
    }
  }
  r.ready = r.reasons.empty();
  return r;
}

}  // namespace mysqlset
