#pragma once
// Lossless semi-sync (docs/roles.md "Semi-sync"): which replica the leader designates in the
// "sync" key, whether the leader's master side waits for acks, and whether a replica's
// slave side acks. Pure; the agent (agent/sync_step.h) gathers and acts. Each rule is a table
// case in sync_replica_test.cc.
//
// MariaDB waits for ONE ack from ANY replica whose slave side is on (HA.md pitfall 8), so the
// key names exactly one member and only that member turns its slave side on. Failover trusts
// the key: the member it names must hold every acknowledged write. Hence the hand-over rule
// below, and the rule that a sync replica that stopped acking (restarted: its relay log was
// purged, HA.md pitfall 9) must catch up before it is designated again.

#include <optional>
#include <string>

#include "core/gtid.h"
#include "core/leadership.h"
#include "core/server_state.h"

namespace mysqlset {

struct SyncPolicy {
  // A sync replica further behind than this (Seconds_Behind_Master) is replaced; a first
  // designation takes only a replica within it.
  double max_lag_seconds = 10;
};

struct SyncInput {
  std::string self;           // the leader
  GtidList self_gtid;         // the leader's gtid_binlog_pos, read after `view`
  uint32_t expected_members;  // `--members`
  ClusterView view;
  // The leader saw view.sync's member record with semi_sync_replica=true since that member was
  // designated (agent memory; false after an agent restart, which only delays a replacement).
  bool sync_seen_acking = false;
  SyncPolicy policy;
};

struct SyncDecision {
  std::string sync;        // whom the "sync" key must name ("" nobody)
  bool write_key = false;  // the key as read differs: compare-and-swap it first, then act
  // The leader's rpl_semi_sync_master_enabled. On whenever semi-sync has ever been armed in
  // the cluster (the key exists), even with nobody to ack: writes then wait rather than be
  // acknowledged with no copy elsewhere.
  bool master_enabled = false;
  // Whom replacing needs `self_gtid` read after the view to be safe (see DecideSync): the
  // agent reads it again and asks once more before it writes a new name.
  bool needs_fresh_gtid = false;
  std::string reason;  // one line for logs and status
  bool operator==(const SyncDecision&) const = default;
};

// The leader's decision, every tick it leads. Rules, in order:
// 1. No other member registered and `expected_members` <= 1 (`--replicas 1`): nobody, master
//    off ("writes are not replicated").
// 2. The key never existed (a new cluster, HA.md pitfall 1: the bootstrap's writes cannot
//    wait for a replica that does not exist yet): designate the best replica within the lag
//    bound, and arm semi-sync; with none, master off until one is.
// 3. The key names a healthy replica R (registered, answering, replicating, within the lag
//    bound, no errant GTIDs, and still acking if it was seen acking): keep it. An unhealthy R
//    that still acks is kept too while no other replica is healthy (it holds every
//    acknowledged write; replacing it would only make writes wait).
// 4. Otherwise R (or a leader, after a failover or switchover, or nobody) is replaced by the
//    best candidate: healthy as in 3 AND holding (received, applied or not) everything in
//    `self_gtid`. SAFETY of the hand-over: a new member is designated only once the old one
//    cannot ack any more (its member key is gone, or its record shows semi_sync_replica
//    false), nor can any other registered member; until then the key is cleared ("" : the
//    old one turns its slave side off) and writes wait. Because the old one stopped acking before
//    `self_gtid` was read, everything it ever acknowledged is in `self_gtid`, which the new one
//    holds: whoever failover promotes has every acknowledged write. Without a candidate the key
//    names nobody and writes wait.
// Remaining window: a member whose record says it stopped acking, or whose key expired,
// while its mariadbd still acks (a frozen mariadbd that resumes before its agent turns the
// slave side off, or an agent dead with its mariadbd alive) can ack a write the new sync
// replica has not received yet; losing the primary in that instant loses that write.
SyncDecision DecideSync(const SyncInput& in);

// Whether a leader whose master side is not on stays read-only until it is
// (SyncOutcome::hold_writable). With more than one member expected: always, the first
// designation of a new cluster included. Writes acknowledged before the first sync replica
// acks have no copy elsewhere, and losing the primary right after `up` lost them (CI on
// ed22196: failover_test's table and its first inserts were gone from every member). The
// bootstrap's own statements still run (the agent's account passes read_only, so HA.md
// pitfall 1 does not bite), and readiness keeps the waiting primary ready so that the
// replicas it waits for start (core/readiness.h SourceContact::awaiting_sync_replica).
// With one member expected, only while the master side is wanted and semi-sync was armed in
// the cluster before (`armed_before`: the key exists).
bool HoldWritesUntilArmed(bool master_wanted, bool armed_before, uint32_t expected_members);

// The replica side: whether this member's slave side should ack. While another member leads,
// the "sync" key names this member, and its IO thread runs (it acks what it received; being
// caught up is the leader's condition for naming it). When the store does not answer
// (nullopt view), a side that is on stays on while `own_lease_alive` (before this agent's
// fence deadline): its member key then still exists and says it acks, so the leader cannot
// have named another (DecideSync waits for that record or key to change). Turning it off at
// once would make the primary's commits wait, its fence time out and its mariadbd be
// killed, truncating a tail the replicas hold (seen in roles_test's quorum loss). Past the
// deadline the key may be gone: off.
bool WantSemiSyncReplica(const std::optional<ClusterView>& view, const std::string& self,
                         const ServerState& state, const SyncPolicy& policy, bool own_lease_alive);

// Commits can wait for an ack that never comes on its own: the designated replica connected
// with its slave side on AFTER it had received them over its asynchronous connection (the
// sync replica was lost while they waited, or the master side was armed before the replica
// reconnected). A GTID dump reports no position on connect, so MariaDB never counts them as
// acknowledged; only the ack of a LATER commit releases them (acks are cumulative by binlog
// position), and an application with one writer connection never sends one. The leader then
// writes a binlogged no-op of its own (Db::NudgeSemiSyncAck). SAFETY: the nudge releases
// nothing by itself; the replica acks it only once it holds the binlog up to it, which
// includes every commit waiting before it, so no commit is acknowledged without a copy.
// Only while the named replica is the one semi-sync client (see ShouldNudgeAck's comment).
struct AckNudgeInput {
  ServerState state;          // the leader's, this tick
  bool named_acking = false;  // the sync key names a member whose record says it acks
  // The sync key named another member (or nobody) when the waiting began: the hand-over case,
  // where the named replica may have received the waiting commits before it acked.
  bool designated_since_waits_began = false;
  // How long commits have waited with no ack (a steady clock; 0: unknown). The same replica
  // named throughout can also hold commits it received asynchronously: its agent turned its
  // slave side off and on again while the key kept naming it (it lost its lease in a
  // partition; the netns nemesis, seed 23, waited for good). A replica that received a commit
  // acks it within milliseconds, so past `stuck_after_ms` the commits count as stuck too.
  int64_t waited_ms = 0;
  int64_t stuck_after_ms = 10000;
  // Rpl_semi_sync_master_yes_tx on the previous tick, when commits waited then too (nullopt:
  // none waited). Commits waiting on two ticks in a row with no ack in between are stuck.
  std::optional<int64_t> acked_when_waiting_before;
  int64_t now_ms = 0;                    // a steady clock
  std::optional<int64_t> last_nudge_ms;  // nullopt: never
  // A nudge that was not acked waits too; don't pile them up.
  int64_t min_interval_ms = 3000;
};
bool ShouldNudgeAck(const AckNudgeInput& in);

// When the nudge cannot help. A commit X waits; the named replica received X over its async
// connection; then one more commit reached the binlog before that replica reconnected with
// semi-sync. The group commit behind X then holds the binlog: nothing new is written, so no
// nudge or later commit reaches the replica, and nothing is ever acked (reproduced by hand
// on MariaDB 10.11.19 with two commits). What releases it: KILL CONNECTION of the session
// waiting for the ack (its client gets error 2013: outcome unknown, never a false OK; X is
// committed on the primary). KILL QUERY would answer OK without an ack, and turning the
// master side off would acknowledge the others with no copy: neither is ever used.
// SAFETY: decided only when the named replica has received everything the primary
// binlogged (its gtid_io covers gtid_binlog_pos: an ack can no longer come) and no ack came
// between two ticks; every commit the release lets through afterwards is acked as usual.
// With a second semi-sync client still connected (the old sync replica, its volume full or
// frozen: its connection stays open until mariadbd's own retry, 60 s) no nudge can run
// (ShouldNudgeAck), so the release does not wait for one; it waits until the commits have
// waited `stuck_after_ms` instead (the netns nemesis, seed 23: writes stopped for 60 s when
// the sync replica's volume filled, although the key named another replica within 4 s).
struct StuckCommitsInput {
  AckNudgeInput nudge;      // the same facts the nudge decides from (its last_nudge_ms too)
  GtidList named_received;  // the named replica's gtid_io, as its record says
  bool nudged_since_waits_began = false;
  int64_t min_after_nudge_ms = 2000;  // the nudge gets its chance first
};
bool ShouldReleaseStuckCommits(const StuckCommitsInput& in);

// The commits waiting for an ack, in words ("" when none wait): for /readyz and status.
std::string WritesWaitReason(const ServerState& state);

}  // namespace mysqlset
