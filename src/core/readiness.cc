#include "core/readiness.h"

#include <algorithm>

#include "core/errant.h"
#include "fmt/format.h"

namespace mysqlset {

const char* RoleName(Role r) { return r == Role::kPrimary ? "primary" : "replica"; }

ReadinessPolicy ForTick(ReadinessPolicy policy, std::chrono::milliseconds tick) {
  policy.max_state_age_seconds =
      std::max(policy.max_state_age_seconds, 3 * std::chrono::duration<double>(tick).count());
  return policy;
}

namespace {

// The rules on the state itself, adding their reasons to `r` in the order they are listed.
void StateReasons(Role role, const ServerState& s, const ReadinessPolicy& policy, Readiness& r) {
  if (!s.reachable) {
    r.reasons.push_back("mysqld is not answering: " + s.unreachable_reason);
    return;
  }
  if (role == Role::kPrimary) {
    if (s.read_only) r.reasons.push_back("primary is read-only (not yet made writable)");
    if (!s.accounts_present) r.reasons.push_back("mysqlset accounts are missing");
    // Not before install-db's superusers are dropped: a replica cloned before the DROP
    // replays it, and a DDL replayed right before a crash can leave gtid_slave_pos behind the
    // binlog (replication then stops on an out-of-order GTID).
    if (!s.socket_superusers.empty()) {
      r.reasons.push_back("install-db's unix_socket superusers are not dropped yet");
    }
  } else {
    if (!s.read_only) r.reasons.push_back("replica is writable; it must be read-only");
    if (!s.replica) {
      r.reasons.push_back("replication is not configured");
    } else {
      const ReplicaStatus& rs = *s.replica;
      if (rs.last_sql_errno != 0) {
        r.reasons.push_back(
            fmt::format("replication SQL error {}: {}", rs.last_sql_errno, rs.last_sql_error));
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
}

}  // namespace

Readiness DecideReadiness(Role role, const ServerState& s, const CloneRecordStatus& clone,
                          std::optional<double> state_age_seconds, const ReadinessPolicy& policy) {
  Readiness r;
  if (!state_age_seconds) {
    r.reasons.push_back("agent has not checked mysqld yet");
    return r;
  }
  StateReasons(role, s, policy, r);
  // Unreachable counts too: mysqld may come back without replication configured.
  if (role == Role::kReplica && !s.replica && clone.kind == CloneRecordStatus::Kind::kUnreadable) {
    r.reasons.push_back(
        clone.error +
        "; replication is not configured because its start position is unknown: restore the "
        "file or re-clone this member");
  }
  // Only a verdict that would be ready says so: otherwise its reasons say more.
  const double age = *state_age_seconds;
  if (r.reasons.empty() && (age < 0 || age > policy.max_state_age_seconds)) {
    r.reasons.push_back(fmt::format("agent state is stale ({:.0f} s old)", age));
  }
  r.ready = r.reasons.empty();
  return r;
}

Readiness WithErrantGtids(Readiness r, const GtidList& errant, const std::string& primary) {
  if (errant.empty()) return r;
  r.ready = false;
  r.reasons.push_back(ErrantReason(errant, primary));
  return r;
}

}  // namespace mysqlset
