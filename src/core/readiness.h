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
  // How long a caught-up replica whose source went away keeps serving reads (possibly stale
  // ones) before it turns not ready; 0 turns stale reads off. See SourceContact.
  double max_stale_read_seconds = 30;
};

// `policy` for an agent loop that gathers every `tick`: its state is stale once three ticks
// have passed without a new one, and never sooner than policy.max_state_age_seconds.
ReadinessPolicy ForTick(ReadinessPolicy policy, std::chrono::milliseconds tick);

struct Readiness {
  bool ready = false;
  std::vector<std::string> reasons;  // why not ready; empty when ready
  // Ready on the stale-read rule: "serving possibly stale reads: primary unreachable for 4 s
  // (limit 30 s)". Empty otherwise.
  std::string stale_reads;
  // Ready on the election rule (SourceContact::awaiting_election): "waiting for the
  // election: ...". Empty otherwise.
  std::string awaiting_election;
  // Ready on the semi-sync rule (SourceContact::awaiting_sync_replica): "waiting for a
  // semi-sync replica: ...". Empty otherwise.
  std::string awaiting_replica;
};

// What the agent knows of a replica's source beyond this tick's state (it tracks it across
// ticks). Lets a replica that was caught up when its primary went away keep serving reads for
// policy.max_stale_read_seconds, so the read endpoint is not empty while the primary is
// down: the IO thread retries (connecting, or a network error) or was stopped without an
// error (a failover's fence stops it), the SQL thread runs, and everything received is
// applied (gtid_slave_pos covers Gtid_IO_Pos). SQL errors end it at once.
struct SourceContact {
  // Seconds since the agent last saw the IO thread running with the lag known and under the
  // limit; nullopt: not since it started.
  std::optional<double> seconds_since_in_sync;
  // The leader key names a member other than this replica's source: a new primary exists
  // and this replica has not re-pointed to it yet, so it is not ready until it has.
  bool leader_moved = false;
  // No member holds the leader key and this member, with data, waits for the election (or
  // campaigns). A cold start brings members back one at a time (OrderedReady, and the local
  // supervisor likewise), and none may lead until the last leader is registered again: a
  // read-only replica is ready meanwhile, replicating or not, or no later member would ever
  // start. It serves no endpoint (/replica and /primary stay 503) and is no clone donor.
  bool awaiting_election = false;
  // The primary leads with semi-sync armed and no replica acks yet: after a restart its
  // server stays read-only until one does, and with every replica gone its commits wait. The
  // ack can only come from a replica that may not be started yet: Kubernetes' OrderedReady
  // (and the local supervisor, for a member without data) starts the next member only once
  // this one is ready. So those two reasons make it ready meanwhile, saying what it waits
  // for, or no replica would ever start. Writes are not affected: /primary requires a
  // writable server, and a commit still waits for its ack.
  bool awaiting_sync_replica = false;
};

// Primary: reachable and writable. Replica: reachable, read-only, replicating with both
// threads running, no replication error, lag known and <= max_lag_seconds; and, while
// replication is not configured, a readable clone record (without it the start position is
// unknown, so PlanActions never configures replication).
// `state_age_seconds`: how long ago `state` was gathered; nullopt before the first gather
// (not ready). A verdict that would be ready is not when the state is stale.
// `source`: the stale-read rule's input (the default never applies it).
Readiness DecideReadiness(Role role, const ServerState& state, const CloneRecordStatus& clone,
                          std::optional<double> state_age_seconds, const ReadinessPolicy& policy,
                          const SourceContact& source = {});

// `r`, not ready when this member holds errant GTIDs (core/errant.h; empty: none): it serves
// rows the primary `primary` ("" unknown) does not have, so it leaves the read endpoint.
Readiness WithErrantGtids(Readiness r, const GtidList& errant, const std::string& primary);

}  // namespace mysqlset
