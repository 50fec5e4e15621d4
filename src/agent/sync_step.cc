#include "agent/sync_step.h"

#include "core/switchover.h"
#include "fmt/format.h"
#include "spdlog/spdlog.h"

namespace mysqlset {

SyncStep::SyncStep(std::string self, const formats::StoreKeys& keys, uint32_t expected_members,
                   CoordStore& store, Db& db, const Clock& clock, SyncPolicy policy)
    : self_(std::move(self)),
      keys_(keys),
      expected_members_(expected_members),
      store_(store),
      db_(db),
      clock_(clock),
      policy_(policy) {}

int64_t SyncStep::SteadyMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now().time_since_epoch())
      .count();
}

void SyncStep::Do(const char* what, const Status& st, SyncOutcome& out) {
  if (st.ok()) {
    out.actions.push_back(what);
    spdlog::info("{}: {}", self_, what);
  } else {
    out.error = fmt::format("{}: {}", what, st.message());
    spdlog::warn("{}: {} failed: {}", self_, what, st.message());
  }
}

SyncOutcome SyncStep::Run(const SyncTick& tick) {
  SyncOutcome out;
  armed_this_tick_ = false;
  if (tick.view) out.sync = tick.view->sync;
  if (!tick.state.reachable) return out;  // nothing to set; the next tick decides again
  if (tick.decision.verdict == RoleVerdict::kLead) {
    // A switchover from this member owns read_only and the master side until it ends
    // (agent/switchover_step.cc turns the master side off once the candidate caught up).
    if (tick.decision.switchover) return out;
    if (tick.view) Lead(tick, out);
    // Whatever Lead() decided, skipped (the store did not answer) or cut short (a failed
    // read or publish): a read-only leader of a multi-member cluster is not made writable
    // before its master side is on, or it would acknowledge writes with no copy elsewhere.
    if (tick.state.read_only && !tick.state.semi_sync_master_enabled && !armed_this_tick_ &&
        HoldWritesUntilArmed(false, false, expected_members_)) {
      out.hold_writable = true;
      out.waits_for_replica = true;
    }
  } else {
    Replica(tick, out);
  }
  return out;
}

Result<bool> SyncStep::Publish(const SyncTick& tick, const std::string& name) {
  const formats::SyncRecord r{name, tick.epoch, clock_.UnixMillis()};
  // mod_revision 0 compares equal only while the key is absent (etcd's rule).
  return store_.Txn({TxnCompare::ModRevision(keys_.Sync(), tick.view->sync_mod_revision),
                     TxnCompare::Lease(keys_.Leader(), tick.own_lease)},
                    {TxnOp::Put(keys_.Sync(), formats::ToJson(r))});
}

void SyncStep::Lead(const SyncTick& tick, SyncOutcome& out) {
  const ClusterView& view = *tick.view;
  const ServerState& s = tick.state;
  const std::optional<int64_t> acked_when_waiting_before = acked_when_waiting_;
  acked_when_waiting_ = s.semi_sync_master_wait_sessions > 0
                            ? std::optional<int64_t>(s.semi_sync_master_acked_commits)
                            : std::nullopt;
  if (acked_when_waiting_ && !acked_when_waiting_before) {
    sync_when_waits_began_ = view.sync;
    handed_over_since_waits_began_ = false;
    nudged_since_waits_began_ = false;
  }
  if (acked_when_waiting_ &&
      (!acked_when_waiting_before || *acked_when_waiting_before != *acked_when_waiting_)) {
    no_ack_since_ms_ = SteadyMs();
  }
  if (acked_when_waiting_) {
    const MemberView* named_now = FindMemberView(view, view.sync);
    if (view.sync != sync_when_waits_began_ || !named_now || !named_now->semi_sync_replica) {
      handed_over_since_waits_began_ = true;
    }
  }
  // A promoted replica acks nobody: its slave side goes off, once the promotion removed
  // replication (before, SetSemiSyncReplica would restart the IO thread the promotion
  // stopped).
  if (s.semi_sync_slave_enabled && !s.replica) {
    Do("semi-sync replica side off (leading)", db_.SetSemiSyncReplica(false), out);
  }

  if (view.sync != seen_name_) {
    seen_name_ = view.sync;
    seen_acking_ = false;
  }
  const MemberView* named = FindMemberView(view, view.sync);
  if (named && named->semi_sync_replica) seen_acking_ = true;

  SyncInput in;
  in.self = self_;
  in.self_gtid = s.gtid_binlog;
  in.expected_members = expected_members_;
  in.view = view;
  in.sync_seen_acking = seen_acking_;
  in.policy = policy_;
  SyncDecision d = DecideSync(in);
  if (d.needs_fresh_gtid) {
    // The old sync replica stopped acking before the view was read, so the position read now
    // holds everything it ever acknowledged; the one gathered before the view might not.
    ServerState fresh;
    if (Status st = db_.ReadState(fresh); !st.ok()) {
      Do("read gtid_binlog_pos before designating", st, out);
      return;
    }
    in.self_gtid = fresh.gtid_binlog;
    d = DecideSync(in);
  }
  out.note = d.reason;

  // Semi-sync was armed in this cluster before this tick (the key existed).
  const bool armed_before = view.sync_mod_revision != 0;
  // A server not yet writable stays read-only until its master side is on: in a new cluster
  // of more than one member too, so that no write is acknowledged without a copy.
  const bool hold = HoldWritesUntilArmed(d.master_enabled, armed_before, expected_members_);
  // 1. Publish first: whoever fails over trusts the key, and a replica acks only once named.
  if (d.write_key) {
    auto written = Publish(tick, d.sync);
    if (!written.ok() || !*written) {
      out.error = written.ok() ? "sync key: the sync or leader key changed meanwhile"
                               : "sync key: " + written.status().message();
      spdlog::warn("{}: {}", self_, out.error);
      // Unpublished: arm nothing new; a primary that should already wait keeps waiting.
      out.hold_writable = hold && !s.semi_sync_master_enabled;
      return;
    }
    out.sync = d.sync;
    out.actions.push_back(d.sync.empty() ? "sync key cleared: " + d.reason
                                         : "sync key names " + d.sync);
    spdlog::info("{}: {}", self_, out.actions.back());
    if (!d.sync.empty()) {
      seen_name_ = d.sync;
      seen_acking_ = false;
    }
  }
  // 2. Then the master side. Once on it stays on, with or without anyone to ack: writes wait
  // rather than being acknowledged with no copy elsewhere (never async; with every replica
  // gone, writes wait). A server that is not writable yet (a promotion, a restarted
  // mariadbd) stays read-only until it is on.
  if (d.master_enabled && !s.semi_sync_master_enabled) {
    if (s.replica) {
      // Still a replica (the promotion has not applied its relay log yet): the master side
      // would hang its SQL thread (HA.md pitfall 2).
      out.hold_writable = true;
      return;
    }
    // Armed only once the named replica acks (its record says so). Arming first lets a
    // commit reach that replica over its async connection before it reconnects with
    // semi-sync; a GTID dump reports no position on connect, so MariaDB never counts that
    // commit as acknowledged and it waits until a later commit is (observed: an INSERT
    // waited 60 s in agent_replication_test with a single writer).
    //
    // And only once that replica streams from THIS leader (its record's received_from): after
    // a switchover or a failover the named replica's record still says it acks, but it acks
    // the previous primary until it re-points here. The nemesis (tests/nemesis, long run
    // seed 582270416) armed a new primary on that stale record: its first commit reached the
    // sync replica before its semi-sync connection, was never acked, held every later commit
    // behind it, and writes waited for good (no hand-over, so no nudge or release either).
    const MemberView* named = FindMemberView(view, out.sync);
    if (!named || !named->semi_sync_replica || named->received_from != self_) {
      out.hold_writable = hold;
      out.waits_for_replica = hold;
      if (!out.sync.empty()) {
        // Writable and never armed (one member scaled up): its writes still go unreplicated.
        out.note += s.read_only ? "; waiting for " + out.sync + " to ack"
                                : "; writes are not replicated until " + out.sync + " acks";
      }
      return;
    }
    Status st = db_.SetSemiSyncPrimary(true);
    Do("semi-sync primary side on", st, out);
    armed_this_tick_ = st.ok();
    if (!st.ok()) out.hold_writable = true;
  } else if (!d.master_enabled && s.semi_sync_master_enabled) {
    // Single member, or before the first designation: nobody to wait for. This releases any
    // waiting commit with OK (HA.md pitfall 5); the cluster has no replica to hold them.
    Do("semi-sync primary side off", db_.SetSemiSyncPrimary(false), out);
    return;
  } else if (!d.master_enabled && hold) {
    // A new cluster before any replica caught up: master side off, so the bootstrap's own
    // statements do not wait (HA.md pitfall 1), and read-only, so no application write is
    // acknowledged without a copy. A server already writable (one member scaled up) stays so.
    out.hold_writable = true;
    out.waits_for_replica = s.read_only;
    out.note =
        (s.read_only ? "writes wait for the first sync replica: " : "writes are not replicated: ") +
        d.reason;
    return;
  }
  // Only with nobody to ack: commits waiting while a replica is connected are stuck or slow,
  // and the primary is then not ready (its /readyz says why).
  out.waits_for_replica = s.semi_sync_master_enabled && s.semi_sync_master_clients == 0;
  // 3. Commits stuck behind an ack that will not come on its own: nudge.
  AckNudgeInput nudge;
  nudge.state = s;
  const MemberView* acker = FindMemberView(view, out.sync);
  nudge.named_acking = !d.write_key && acker && acker->semi_sync_replica;
  nudge.designated_since_waits_began =
      handed_over_since_waits_began_ || out.sync != sync_when_waits_began_;
  nudge.waited_ms = acked_when_waiting_ ? SteadyMs() - no_ack_since_ms_ : 0;
  // Never on a leader past (or near) its fence deadline: the nudge's own session holds
  // READ ONLY ADMIN, so read_only would not stop it on a member fenced meanwhile.
  nudge.state.read_only = s.read_only || !tick.own_lease_alive || tick.lease_left_seconds < 2.0;
  nudge.acked_when_waiting_before = acked_when_waiting_before;
  nudge.now_ms = SteadyMs();
  nudge.last_nudge_ms = last_nudge_ms_;
  StuckCommitsInput stuck;
  stuck.nudge = nudge;
  // Only a position received from this leader: GtidList::Covers compares sequence numbers,
  // and one received from a previous primary could cover other transactions.
  if (acker && acker->received_from == self_) stuck.named_received = acker->gtid_io;
  stuck.nudged_since_waits_began = nudged_since_waits_began_;
  if (ShouldReleaseStuckCommits(stuck)) {
    // Before another nudge: a nudge now would only queue behind the stuck group.
    // The adapter kills only the sessions waiting when it re-reads the binlog position, and
    // only if the named replica still holds all of it: a commit binlogged since this tick's
    // read must get its own ack (it is still acked as usual, once the group is released).
    Result<int> killed = db_.KillSessionsWaitingForAck(stuck.named_received);
    Do(fmt::format("stuck commits released: {} holds everything binlogged ({}) yet acks none "
                   "of the {} waiting commit(s); killed {} waiting session(s) (their clients "
                   "see error 2013: outcome unknown)",
                   out.sync, s.gtid_binlog.ToString(), s.semi_sync_master_wait_sessions,
                   killed.ok() ? *killed : 0)
           .c_str(),
       killed.status(), out);
    return;
  }
  if (ShouldNudgeAck(nudge)) {
    last_nudge_ms_ = nudge.now_ms;
    nudged_since_waits_began_ = true;
    Do(fmt::format("ack nudge: {} commit(s) waited for {} without an ack",
                   s.semi_sync_master_wait_sessions, out.sync)
           .c_str(),
       db_.NudgeSemiSyncAck(), out);
  }
}

void SyncStep::Replica(const SyncTick& tick, SyncOutcome& out) {
  const ServerState& s = tick.state;
  seen_name_.clear();
  seen_acking_ = false;
  acked_when_waiting_.reset();
  // Never the master side on a member that does not lead (HA.md pitfall 2) -- but turning it
  // off releases every waiting commit with OK (pitfall 5). An ex-primary with commits still
  // waiting keeps it on: those commits were never acknowledged and must stay so (the fence
  // kills mariadbd; those no replica received make it errant, and it is re-cloned).
  if (s.semi_sync_master_enabled) {
    if (s.semi_sync_master_wait_sessions == 0 && s.read_only) {
      Do("semi-sync primary side off (not leading)", db_.SetSemiSyncPrimary(false), out);
    } else {
      out.error = fmt::format(
          "semi-sync primary side stays on: {} commit(s) wait for an ack on this former "
          "primary; turning it off would acknowledge them",
          s.semi_sync_master_wait_sessions);
      return;
    }
  }
  // Only while following a leader. Without one (a failover under way) the IO thread is left
  // alone: restarting it could drop the relay log a promotion must apply (HA.md pitfall 9),
  // or restart an IO thread a failover stopped on purpose. The old primary is gone anyway.
  if (tick.decision.verdict != RoleVerdict::kFollow) return;
  const bool want = WantSemiSyncReplica(tick.view, self_, s, policy_, tick.own_lease_alive);
  if (want != s.semi_sync_slave_enabled) {
    Do(want ? "semi-sync replica side on (named in the sync key)"
            : "semi-sync replica side off (not the sync replica, or not caught up)",
       db_.SetSemiSyncReplica(want), out);
  }
  if (want) out.note = "acks the primary's commits";
}

}  // namespace mysqlset
