#include "core/sync_replica.h"

#include <algorithm>
#include <vector>

#include "core/switchover.h"
#include "fmt/format.h"

namespace mysqlset {
namespace {

// Everything in `want` was received by `m` (applied: gtid_binlog; or only in its relay log:
// gtid_io), domain by domain.
bool Holds(const MemberView& m, const GtidList& want) {
  for (const Gtid& g : want.gtids()) {
    if (std::max(m.gtid_binlog.SeqOf(g.domain), m.gtid_io.SeqOf(g.domain)) < g.seq) return false;
  }
  return true;
}

// Why `m` cannot be (or stay) the sync replica; "" when it can.
std::string Unhealthy(const MemberView& m, const SyncPolicy& policy) {
  if (!m.mysql_reachable) return m.name + "'s server does not answer";
  if (!m.replicating) return m.name + " is not replicating";
  if (!m.errant_gtids.empty()) {
    return fmt::format("{} has errant GTIDs {}", m.name, m.errant_gtids.ToString());
  }
  if (!m.lag_seconds) return m.name + "'s lag is unknown";
  if (*m.lag_seconds > policy.max_lag_seconds) {
    return fmt::format("{} lags {} s (bound {} s)", m.name, *m.lag_seconds, policy.max_lag_seconds);
  }
  return "";
}

// The healthy replica with the lowest lag, then the lowest ordinal; with `must_hold`, only
// one that received all of it. nullptr when there is none.
const MemberView* Best(const SyncInput& in, const GtidList* must_hold) {
  const MemberView* best = nullptr;
  for (const MemberView& m : in.view.members) {
    if (m.name == in.self || !Unhealthy(m, in.policy).empty()) continue;
    if (must_hold && !Holds(m, *must_hold)) continue;
    if (!best || *m.lag_seconds < *best->lag_seconds ||
        (*m.lag_seconds == *best->lag_seconds && m.ordinal < best->ordinal)) {
      best = &m;
    }
  }
  return best;
}

SyncDecision Name(const SyncInput& in, std::string sync, bool master, std::string reason) {
  SyncDecision d;
  d.write_key = in.view.sync_mod_revision == 0 ? !sync.empty() : sync != in.view.sync;
  d.sync = std::move(sync);
  d.master_enabled = master;
  d.reason = std::move(reason);
  return d;
}

}  // namespace

SyncDecision DecideSync(const SyncInput& in) {
  const ClusterView& v = in.view;
  const bool others = std::any_of(v.members.begin(), v.members.end(),
                                  [&](const MemberView& m) { return m.name != in.self; });
  // 1. A single-member cluster has nobody to wait for.
  if (!others && in.expected_members <= 1) {
    return Name(in, "", false, "single member: writes are not replicated");
  }
  // 2. First designation: nothing was ever acknowledged semi-synchronously, so the lag bound
  // is enough (requiring the moving gtid of a primary that does not wait could never be met).
  if (v.sync_mod_revision == 0) {
    if (const MemberView* m = Best(in, nullptr)) {
      return Name(in, m->name, true, m->name + " is the sync replica");
    }
    return Name(in, "", false, "no replica has caught up yet");
  }
  // 3. Keep a healthy sync replica.
  const MemberView* old = v.sync.empty() || v.sync == in.self ? nullptr : FindMemberView(v, v.sync);
  std::string why;
  if (old) {
    why = Unhealthy(*old, in.policy);
    if (why.empty() && in.sync_seen_acking && !old->semi_sync_replica) {
      why = old->name + " stopped acking (restarted: its relay log is gone until it catches up)";
    }
    if (why.empty()) return Name(in, old->name, true, old->name + " is the sync replica");
    // Unhealthy but still acking (its IO thread receives: a stopped applier, a long lag), and
    // nobody else could take over: it still holds every acknowledged write, so it stays
    // rather than make writes wait.
    const SyncInput others_only = [&] {
      SyncInput o = in;
      std::erase_if(o.view.members, [&](const MemberView& m) { return m.name == old->name; });
      return o;
    }();
    if (old->semi_sync_replica && !Best(others_only, nullptr)) {
      return Name(in, old->name, true,
                  fmt::format("{} is the sync replica ({}; no other replica to take over)",
                              old->name, why));
    }
  } else if (!v.sync.empty() && v.sync != in.self) {
    why = v.sync + " is gone";
  }
  // 4. Replace. Every other member first stops acking (the old one sees the key no longer
  // naming it; a cleared key names nobody, yet its old holder may still ack).
  for (const MemberView& m : v.members) {
    if (m.name == in.self || !m.semi_sync_replica) continue;
    if (why.empty()) why = m.name + " is not the sync replica";
    return Name(in, "", true,
                fmt::format("writes wait: {}; {} must stop acking before another replica is "
                            "designated",
                            why, m.name));
  }
  if (const MemberView* m = Best(in, &in.self_gtid)) {
    SyncDecision d = Name(in, m->name, true, m->name + " is the sync replica");
    d.needs_fresh_gtid = d.write_key;
    return d;
  }
  std::string reason = "writes wait: no replica holds everything the primary wrote";
  if (!why.empty()) reason = "writes wait: " + why + "; no other replica holds everything";
  return Name(in, "", true, reason);
}

bool HoldWritesUntilArmed(bool master_wanted, bool armed_before, uint32_t expected_members) {
  if (expected_members > 1) return true;
  return master_wanted && armed_before;
}

bool WantSemiSyncReplica(const std::optional<ClusterView>& view, const std::string& self,
                         const ServerState& state, const SyncPolicy& policy, bool own_lease_alive) {
  if (!view) {
    return own_lease_alive && state.reachable && state.semi_sync_slave_enabled && state.replica &&
           state.replica->io == ThreadState::kYes;
  }
  if (view->sync != self || !view->leader || view->leader->name == self) return false;
  // Acks are sent by the IO thread once a transaction is in the relay log: a stopped applier
  // or a lag does not stop this member from holding what it acknowledges (the leader replaces
  // a lagging one when another can take over).
  (void)policy;
  return state.reachable && state.replica && state.replica->io == ThreadState::kYes;
}

namespace {
// The waiting commits may have reached the named replica before its semi-sync connection:
// it was designated since they began to wait, or they have waited too long for anything else.
bool StuckSinceDesignation(const AckNudgeInput& in) {
  return in.designated_since_waits_began || in.waited_ms >= in.stuck_after_ms;
}
}  // namespace

bool ShouldNudgeAck(const AckNudgeInput& in) {
  const ServerState& s = in.state;
  if (!s.reachable || !s.semi_sync_master_enabled || s.read_only) return false;
  if (s.semi_sync_master_wait_sessions == 0) return false;
  // Exactly one semi-sync client, the named replica: with none, the nudge would only wait
  // with the rest. With two, the old sync replica is still connected (frozen, say), and
  // MariaDB 10.11.19 then blocked the nudge before it reached the binlog, and every later
  // write behind it, until that replica resumed (semi_sync_test: 34 s). Without nudges the
  // writers' own later commits release the waiting ones, or ShouldReleaseStuckCommits does
  // after 10 s; once the old one's connection is gone (killed, or timed out), the nudge
  // applies.
  if (s.semi_sync_master_clients != 1) return false;
  if (!in.named_acking || !StuckSinceDesignation(in)) return false;
  if (!in.acked_when_waiting_before ||
      *in.acked_when_waiting_before != s.semi_sync_master_acked_commits) {
    return false;  // acks still flow: the waiting commits are merely slow
  }
  return !in.last_nudge_ms || in.now_ms - *in.last_nudge_ms >= in.min_interval_ms;
}

bool ShouldReleaseStuckCommits(const StuckCommitsInput& in) {
  const AckNudgeInput& n = in.nudge;
  const ServerState& s = n.state;
  if (!s.reachable || !s.semi_sync_master_enabled || s.read_only) return false;
  if (s.semi_sync_master_wait_sessions == 0 || s.semi_sync_master_clients == 0) return false;
  if (!n.named_acking || !StuckSinceDesignation(n)) return false;
  if (!n.acked_when_waiting_before ||
      *n.acked_when_waiting_before != s.semi_sync_master_acked_commits) {
    return false;  // acks still flow
  }
  if (s.semi_sync_master_clients == 1) {
    // The gentler nudge first, where it can run.
    if (!in.nudged_since_waits_began || !n.last_nudge_ms ||
        n.now_ms - *n.last_nudge_ms < in.min_after_nudge_ms) {
      return false;
    }
  } else if (n.waited_ms < n.stuck_after_ms) {
    return false;  // an old sync replica still connected: no nudge can run, so wait longer
  }
  // It holds every waiting commit and still does not ack them: no ack will come.
  return !s.gtid_binlog.empty() && in.named_received.Covers(s.gtid_binlog);
}

std::string WritesWaitReason(const ServerState& s) {
  if (!s.reachable || !s.semi_sync_master_enabled) return "";
  if (s.semi_sync_master_wait_sessions > 0) {
    return fmt::format("writes wait: {} commit(s) wait for a semi-sync ack",
                       s.semi_sync_master_wait_sessions);
  }
  if (s.semi_sync_master_clients == 0) return "writes wait: no semi-sync replica acknowledges";
  return "";
}

}  // namespace mysqlset
