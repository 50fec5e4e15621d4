#pragma once
// Who leads, and what this member's agent must do about it this tick. Pure: the agent
// gathers its server's state and the store's keys (formats/store_records.h, parsed into the
// plain structs below) and acts on the answer. docs/roles.md tells the whole protocol;
// each rule below is one table case in leadership_test.cc.
//
// Safety: at most one member is writable. Only the holder of the leader key makes its
// server writable, and only while its lease is certainly alive (before the fence deadline);
// every other member, and the holder past its deadline, is made read-only first.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/gtid.h"
#include "core/server_state.h"

namespace mysqlset {

// What the store said about one registered member (its member key exists, so its lease is
// alive).
struct MemberView {
  std::string name;
  uint32_t ordinal = 0;
  int64_t lease = 0;
  bool mysql_reachable = false;
  bool has_data = false;
  GtidList gtid_binlog;
  bool replicating = false;
  std::optional<double> lag_seconds;
  // Issue 13: what failover decides from (MemberRecord's fields of the same names).
  GtidList gtid_io;                // received, applied or not
  bool semi_sync_replica = false;  // acks the primary's commits
  GtidList errant_gtids;           // empty: none known; never promoted otherwise
  std::string role;                // "primary" | "replica", as the member's agent acts
  // Whom its mariadbd has streamed from since it last started (MemberRecord's fields).
  std::string received_from;
  uint64_t received_epoch = 0;
  // The member key's mod_revision: its agent rewrites the record every tick, so a revision
  // that stops moving is an agent that stopped ticking (core/settling.h LeaderHeartbeatLate).
  int64_t record_revision = 0;
};

struct LeaderView {
  std::string name;
  uint64_t epoch = 0;
  int64_t lease = 0;         // the lease the leader key is attached to
  int64_t mod_revision = 0;  // for compare-and-swap
};

// formats::HistoryRecord, as decisions need it.
struct EpochView {
  uint64_t epoch = 0;
  std::string name;
  std::string from;
  std::string reason;  // "bootstrap" | "election" | "switchover" | "failover" | "forced"
  int64_t since_unix_ms = 0;
};

// One linearizable read of the cluster's keys.
struct ClusterView {
  std::optional<LeaderView> leader;       // the "leader" key
  std::optional<LeaderView> last_leader;  // the "last_leader" key (lease 0)
  int64_t last_leader_mod_revision = 0;   // 0: absent
  std::vector<MemberView> members;        // registered members, sorted by ordinal
  // The "initialized" key's "by": on a store without a last leader, the member that
  // bootstrapped the data is the one to wait for (the others cloned from it, or will).
  std::optional<std::string> initialized_by;
  bool switchover_pending = false;  // a request is in the store, not finished
  std::string switchover_from;      // its "from", when pending
  std::string switchover_to;        // its "to" (the candidate), when pending
  // Issue 13. The "sync" key's member ("" none designated), and the key's mod revision for
  // compare-and-swap (0: absent).
  std::string sync;
  int64_t sync_mod_revision = 0;
  // The newest "history/<epoch>" entry, when any (the last failover's time and reason).
  std::optional<EpochView> last_epoch;
  // "forced_failover"'s member, when a person ordered one ("" none).
  std::string forced_failover_to;
};

struct LeaseTiming {
  std::chrono::seconds ttl{3};
  std::chrono::milliseconds margin{500};
};

// When the holder of a lease whose last successful keepalive was *sent* at `sent` must be
// read-only: sent + ttl - margin. Measured from the send, not the reply: the store may have
// renewed the lease at any instant in between, so the send is the latest safe start.
std::chrono::steady_clock::time_point FenceDeadline(std::chrono::steady_clock::time_point sent,
                                                    const LeaseTiming& timing);

struct LeadershipInput {
  std::string self;
  uint32_t self_ordinal = 0;
  // Members expected in the cluster (`--members`): used only when the store has no
  // last_leader (a fresh store over existing data), to wait until every one is registered
  // before electing the most advanced.
  uint32_t expected_members = 1;
  std::optional<ClusterView> view;  // nullopt: the store did not answer this tick
  // The leader named by the last view the store gave ("" none): what to keep doing while the
  // store does not answer.
  std::string leader_seen;
  int64_t own_lease = 0;               // 0: none granted yet, or lost
  bool before_fence_deadline = false;  // own lease certainly alive (FenceDeadline not reached)
  ServerState server;                  // gathered this tick
  bool has_data = false;               // a datadir is installed
  // Issue 13: failover (core/failover.h) needs the wall clock for its cool-down.
  int64_t now_unix_ms = 0;
  std::chrono::milliseconds failover_cool_down{30000};
};

enum class RoleVerdict {
  kLead,      // holds the leader key with its own lease, in time: be the writable primary
  kCampaign,  // no leader, and this member is the one to take the key: try the txn
  kFollow,    // another member leads: replicate from it
  kFence,     // must not be writable now: read-only at once (ladder in the agent)
  kWait,      // no leader and not this member's turn: stay read-only, change nothing else
};
const char* RoleVerdictName(RoleVerdict v);

struct RoleDecision {
  RoleVerdict verdict = RoleVerdict::kWait;
  std::string leader;  // kFollow: whom to replicate from
  // kLead: a switchover from self is pending, so the switchover step owns read_only and the
  // agent must not make its server writable.
  bool switchover = false;
  std::string reason;  // one line for logs and status
  // kCampaign: the history entry's reason if it wins ("bootstrap", "election", "failover",
  // "forced"). A failover campaign fences the replicas first (agent/failover_step.h).
  std::string epoch_reason = {};
  bool operator==(const RoleDecision&) const = default;
};

// Rules, in order:
// 1. Store unreachable: a member that held the leader key at the last view keeps leading
//    until the deadline, then fences (a short store hiccup must not stop writes); any other
//    writable server fences at once. Others keep what they have (kFollow of the last known
//    leader, or kWait).
// 2. The leader key names self with own lease, before the deadline: kLead (with
//    `switchover` set while a switchover from self is pending). Past the deadline, or on
//    another lease (a previous run of this agent: it cannot renew it, so it waits for the key
//    to expire and campaigns again): kFence.
// 3. The leader key names another member: kFollow it; a writable server fences first
//    (kFence).
// 4. No leader key: a writable server fences (kFence). Otherwise ElectionWinner() decides;
//    the winner campaigns, everyone else waits.
RoleDecision DecideRole(const LeadershipInput& in);

// Whom the cluster should elect when no one holds the leader key, or why nobody yet.
// Candidates are registered members with data whose mysqld answers. When the last leader is
// lost (not registered, or its server does not answer), core/failover.h's FailoverWinner
// decides (the sync replica, a forced failover, or nobody); with no last leader, until the member
// that initialized the cluster is one, or, on a store that has neither (a fresh store over existing
// data), until `expected_members` are. Then the most advanced gtid_binlog wins (one that Covers
// every other); ties go to the last leader, then to the lowest ordinal. GTIDs that do not order
// (diverged members) elect nobody.
struct Election {
  std::optional<std::string> winner;
  std::string reason;
  std::string epoch_reason = {};  // the winner's history reason (RoleDecision::epoch_reason)
};
Election ElectionWinner(const ClusterView& view, uint32_t expected_members, int64_t now_unix_ms = 0,
                        std::chrono::milliseconds failover_cool_down = std::chrono::seconds(30));

}  // namespace mysqlset
