#include "core/readiness.h"

#include <algorithm>

#include "core/errant.h"
#include "core/sync_replica.h"
#include "fmt/format.h"

namespace mysqlset {

const char* RoleName(Role r) { return r == Role::kPrimary ? "primary" : "replica"; }

ReadinessPolicy ForTick(ReadinessPolicy policy, std::chrono::milliseconds tick) {
  policy.max_state_age_seconds =
      std::max(policy.max_state_age_seconds, 3 * std::chrono::duration<double>(tick).count());
  return policy;
}

namespace {

// Errors the IO thread reports when the network or the source's server went away (client
// errors CR_CONNECTION_ERROR, CR_CONN_HOST_ERROR, CR_UNKNOWN_HOST, CR_SERVER_GONE_ERROR,
// CR_SERVER_LOST, CR_SERVER_LOST_EXTENDED; server errors ER_SERVER_SHUTDOWN and
// ER_NET_*): it retries them. Others (1236: the source lacks our GTIDs, 1045: access
// denied) need a person or a re-clone, never a grace period.
bool IsNetworkError(uint32_t errno_value) {
  switch (errno_value) {
    case 0:  // connecting, no error recorded yet
    case 1053:
    case 1158:
    case 1159:
    case 1160:
    case 1161:
    case 2002:
    case 2003:
    case 2005:
    case 2006:
    case 2013:
    case 2055:
      return true;
    default:
      return false;
  }
}

// The IO thread lost its source (or a failover's fence stopped it) while the SQL thread runs
// with everything received applied.
bool CaughtUpWithoutSource(const ReplicaStatus& rs, const GtidList& applied) {
  if (rs.io == ThreadState::kYes || rs.sql != ThreadState::kYes) return false;
  if (rs.last_sql_errno != 0 || !IsNetworkError(rs.last_io_errno)) return false;
  auto received = GtidList::Parse(rs.gtid_io_pos);
  return received.ok() && applied.Covers(*received);
}

// The stale-read rule (SourceContact): "" when it does not apply, else the line to report,
// and in `why_not` why a replica that lost its source is not (or no longer) served.
std::string StaleReads(const ReplicaStatus& rs, const ServerState& s, const ReadinessPolicy& policy,
                       const SourceContact& source, std::string& why_not) {
  if (policy.max_stale_read_seconds <= 0 || !CaughtUpWithoutSource(rs, s.gtid_slave)) return "";
  if (!source.seconds_since_in_sync) return "";
  const double lost = *source.seconds_since_in_sync;
  if (source.leader_moved) {
    why_not = "a new primary leads and this replica has not re-pointed to it yet";
    return "";
  }
  if (lost > policy.max_stale_read_seconds) {
    why_not = fmt::format("primary unreachable for {:.0f} s, over the {:.0f} s stale-read limit",
                          lost, policy.max_stale_read_seconds);
    return "";
  }
  return fmt::format(
      "serving possibly stale reads: primary unreachable for {:.0f} s (limit {:.0f} s)", lost,
      policy.max_stale_read_seconds);
}

// The rules on the state itself, adding their reasons to `r` in the order they are listed.
void StateReasons(Role role, const ServerState& s, const ReadinessPolicy& policy,
                  const SourceContact& source, Readiness& r) {
  if (!s.reachable) {
    r.reasons.push_back("mysqld is not answering: " + s.unreachable_reason);
    return;
  }
  if (role == Role::kPrimary) {
    // What waits for a semi-sync replica: not a reason while awaiting_sync_replica.
    std::vector<std::string> waits;
    if (s.read_only) waits.push_back("primary is read-only (not yet made writable)");
    if (!s.accounts_present) r.reasons.push_back("mysqlset accounts are missing");
    // Not before install-db's superusers are dropped: a replica cloned before the DROP
    // replays it, and a DDL replayed right before a crash can leave gtid_slave_pos behind the
    // binlog (replication then stops on an out-of-order GTID).
    if (!s.socket_superusers.empty()) {
      r.reasons.push_back("install-db's unix_socket superusers are not dropped yet");
    }
    // Lossless semi-sync never falls back to async: with nobody to ack, commits wait.
    if (std::string wait = WritesWaitReason(s); !wait.empty()) waits.push_back(wait);
    if (source.awaiting_sync_replica && !waits.empty()) {
      r.awaiting_replica = "waiting for a semi-sync replica:";
      for (const std::string& w : waits) r.awaiting_replica += " " + w + ";";
      r.awaiting_replica.pop_back();
    } else {
      r.reasons.insert(r.reasons.begin(), waits.begin(), waits.end());
    }
  } else {
    if (!s.read_only) r.reasons.push_back("replica is writable; it must be read-only");
    if (source.awaiting_election) {
      // Its source may be the lost leader itself; only what needs a person still counts.
      if (s.replica && s.replica->last_sql_errno != 0) {
        r.reasons.push_back(fmt::format("replication SQL error {}: {}", s.replica->last_sql_errno,
                                        s.replica->last_sql_error));
      }
      r.awaiting_election = "waiting for the election: no member holds the leader key";
    } else if (!s.replica) {
      r.reasons.push_back("replication is not configured");
    } else {
      const ReplicaStatus& rs = *s.replica;
      std::string why_not;
      r.stale_reads = StaleReads(rs, s, policy, source, why_not);
      if (rs.last_sql_errno != 0) {
        r.reasons.push_back(
            fmt::format("replication SQL error {}: {}", rs.last_sql_errno, rs.last_sql_error));
      }
      if (rs.last_io_errno != 0 && r.stale_reads.empty()) {
        r.reasons.push_back(
            fmt::format("replication IO error {}: {}", rs.last_io_errno, rs.last_io_error));
      }
      if (rs.io != ThreadState::kYes && r.stale_reads.empty()) {
        r.reasons.push_back(rs.io == ThreadState::kConnecting
                                ? fmt::format("replication IO thread is connecting to {}:{}",
                                              rs.source_host, rs.source_port)
                                : "replication IO thread is stopped");
      }
      if (!why_not.empty()) r.reasons.push_back(why_not);
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
                          std::optional<double> state_age_seconds, const ReadinessPolicy& policy,
                          const SourceContact& source) {
  Readiness r;
  if (!state_age_seconds) {
    r.reasons.push_back("agent has not checked mysqld yet");
    return r;
  }
  StateReasons(role, s, policy, source, r);
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
  if (!r.ready) {
    r.stale_reads.clear();
    r.awaiting_election.clear();
    r.awaiting_replica.clear();
  }
  return r;
}

Readiness WithErrantGtids(Readiness r, const GtidList& errant, const std::string& primary) {
  if (errant.empty()) return r;
  r.ready = false;
  r.awaiting_election.clear();
  r.awaiting_replica.clear();
  r.reasons.push_back(ErrantReason(errant, primary));
  return r;
}

}  // namespace mysqlset
