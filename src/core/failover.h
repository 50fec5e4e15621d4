#pragma once
// Automatic failover (docs/roles.md "Failover"): whom the cluster promotes when the leader
// key is gone and its last holder is lost, and when a leader whose own mariadbd is dead
// releases the key so that this happens at once. Pure; every rule is a table case in
// failover_test.cc.
//
// Safety: only a member known to hold every acknowledged write is promoted automatically,
// and that is the designated sync replica (the "sync" key: with AFTER_SYNC semi-sync and no
// fallback to async, the primary acknowledges a commit only once that replica received it).
// Candidates are judged from the SQL state their agents publish in member records, never
// from readiness (HA.md pitfall 11: replicas of a dead primary turn not-ready first).

#include <chrono>
#include <cstdint>
#include <string>

#include "core/leadership.h"

namespace mysqlset {

struct FailoverPolicy {
  // After a failover (the newest history entry's reason is "failover" or "forced"), for this
  // long only the loss of the primary that failover promoted triggers another one.
  std::chrono::milliseconds cool_down{30000};
  // A leader whose mariadbd failed this many gathers in a row releases the key, when a
  // failover would then promote someone (ReleaseLeadership).
  int release_after_unreachable_ticks = 2;
};

// The history reasons (formats::HistoryRecord::reason) a campaign writes.
inline constexpr const char* kEpochBootstrap = "bootstrap";
inline constexpr const char* kEpochElection = "election";
inline constexpr const char* kEpochFailover = "failover";
inline constexpr const char* kEpochForced = "forced";
inline constexpr const char* kEpochSwitchover = "switchover";

// May take the key without the last leader: registered (it is in the view), its server
// answers, it has data, and it holds no errant GTIDs.
bool IsFailoverCandidate(const MemberView& m);

// A replica stopped cleanly after applying all it had received from its leader (the drain
// record, formats/drain_record.h) still counts at its next start as having received from
// that leader (MemberView::received_from) while its data holds that position: a restart
// purges only the relay log, which the drain emptied. False when the data no longer holds
// it (the datadir was replaced, say by a clone of an older backup).
bool DrainStillHolds(const GtidList& drained_through, const GtidList& gtid_current);

// The last leader is lost when it is not registered (its agent's lease expired) or its
// mariadbd does not answer. REQUIRES: view.last_leader.
bool LastLeaderLost(const ClusterView& view);

// Whom to promote when nobody holds the leader key and the last leader is lost (nullopt +
// reason: nobody, and why). Rules, in order:
// 1. A forced failover (the "forced_failover" key) promotes its member if it is a
//    candidate (kEpochForced), whatever the cool-down; otherwise nobody.
// 2. Within the cool-down after a failover, only the loss of the primary that failover
//    promoted counts: any other last leader waits for the cool-down to end.
// 3. The designated sync replica wins if it is a candidate (kEpochFailover).
// 4. Otherwise nobody: with no sync replica designated (semi-sync off, `--replicas 1`, a
//    cluster older than semi-sync) no member is known to hold every acknowledged write, and
//    with the sync replica lost too an async replica may lack some. The reason names
//    `mysqlset failover --force`.
// REQUIRES: view.last_leader.
Election FailoverWinner(const ClusterView& view, int64_t now_unix_ms, const FailoverPolicy& policy);

// Whether `self`, the leader, should release the leader key because its mariadbd is dead:
// it failed `unreachable_ticks` gathers in a row (at least
// policy.release_after_unreachable_ticks), or `server_restarted` (its start time moved
// between two ticks: it crashed and came back; its recovery may commit a binlogged tail that
// no replica received, which a failover turns into errant GTIDs to re-clone rather than
// writes acknowledged on top of them). Only when FailoverWinner would then promote another member:
// otherwise (no healthy sync replica, no replica at all) it keeps the key and leads on once its
// server is back, since a failover without a sync replica could lose acknowledged writes.
struct Release {
  bool release = false;
  std::string reason;
};
Release ReleaseLeadership(const std::string& self, const ClusterView& view, int unreachable_ticks,
                          bool server_restarted, int64_t now_unix_ms, const FailoverPolicy& policy);

}  // namespace mysqlset
