#include "core/failover.h"

#include "core/switchover.h"
#include "fmt/format.h"

namespace mysqlset {
namespace {

constexpr const char* kForceHint =
    "a person may promote another member with `mysqlset failover "
    "--force --to NAME`, losing the writes only the lost members "
    "held";

// Why `m` (nullptr: not registered) cannot be promoted; "" when it can.
std::string NotCandidateBecause(const MemberView* m) {
  if (m == nullptr) return "is not registered";
  if (!m->errant_gtids.empty()) {
    return fmt::format("holds errant GTIDs {}", m->errant_gtids.ToString());
  }
  if (!m->mysql_reachable) return "has a server that does not answer";
  if (!m->has_data) return "has no data";
  return "";
}

}  // namespace

bool IsFailoverCandidate(const MemberView& m) { return NotCandidateBecause(&m).empty(); }

bool DrainStillHolds(const GtidList& drained_through, const GtidList& gtid_current) {
  return gtid_current.Covers(drained_through);
}

bool LastLeaderLost(const ClusterView& view) {
  const MemberView* last = FindMemberView(view, view.last_leader->name);
  return last == nullptr || !last->mysql_reachable;
}

namespace {

// The rules without a forced failover: the sync replica, the cool-down, or nobody.
Election AutomaticWinner(const ClusterView& view, int64_t now_unix_ms,
                         const FailoverPolicy& policy) {
  const std::string& lost = view.last_leader->name;
  const std::optional<EpochView>& epoch = view.last_epoch;
  const bool after_failover =
      epoch && (epoch->reason == kEpochFailover || epoch->reason == kEpochForced);
  if (after_failover && now_unix_ms - epoch->since_unix_ms < policy.cool_down.count() &&
      epoch->name != lost) {
    return {std::nullopt,
            fmt::format("waiting for {}: within the cool-down after the failover to {}, only "
                        "{}'s loss triggers another",
                        lost, epoch->name, epoch->name)};
  }
  if (view.sync.empty()) {
    return {std::nullopt,
            fmt::format("waiting for the last leader {} to register with its server answering: "
                        "no sync replica is designated, so no other member is known to hold "
                        "every acknowledged write; {}",
                        lost, kForceHint)};
  }
  const std::string why = NotCandidateBecause(FindMemberView(view, view.sync));
  if (view.sync == lost || !why.empty()) {
    return {
        std::nullopt,
        fmt::format("the leader {} and the sync replica {} are both lost ({}); an async "
                    "replica may lack acknowledged writes, so none is promoted; {}",
                    lost, view.sync,
                    view.sync == lost ? "it was the leader" : view.sync + " " + why, kForceHint)};
  }
  // Its acks covered what it had received, and a restart purges the relay log: a sync
  // replica whose server restarted since it streamed from the lost leader may lack
  // acknowledged writes that only the lost leader still holds.
  const MemberView* sync = FindMemberView(view, view.sync);
  if (sync->received_from != lost || sync->received_epoch != view.last_leader->epoch) {
    return {std::nullopt,
            fmt::format("the sync replica {}'s server restarted since it last received from the "
                        "leader {} (a restart purges the relay log, which may have held "
                        "acknowledged writes); waiting for {} to come back; {}",
                        view.sync, lost, lost, kForceHint)};
  }
  return {view.sync,
          fmt::format("failover: the leader {} is lost; the sync replica {} takes over", lost,
                      view.sync),
          kEpochFailover};
}

}  // namespace

Election FailoverWinner(const ClusterView& view, int64_t now_unix_ms,
                        const FailoverPolicy& policy) {
  Election automatic = AutomaticWinner(view, now_unix_ms, policy);
  // A forced failover only unblocks a cluster the rules leave waiting: while the sync
  // replica can take over, promoting anyone else would lose the writes only it holds.
  if (automatic.winner || view.forced_failover_to.empty()) return automatic;
  const std::string& lost = view.last_leader->name;
  const std::string& to = view.forced_failover_to;
  const std::string why =
      to == lost ? "is the lost leader" : NotCandidateBecause(FindMemberView(view, to));
  if (!why.empty()) {
    return {std::nullopt, fmt::format("a forced failover names {}, which {}", to, why)};
  }
  return {to, fmt::format("forced failover to {} ({} is lost)", to, lost), kEpochForced};
}

Release ReleaseLeadership(const std::string& self, const ClusterView& view, int unreachable_ticks,
                          bool server_restarted, int64_t now_unix_ms,
                          const FailoverPolicy& policy) {
  if (!server_restarted && unreachable_ticks < policy.release_after_unreachable_ticks) {
    return {false, fmt::format("mariadbd did not answer {} time(s); releasing after {}",
                               unreachable_ticks, policy.release_after_unreachable_ticks)};
  }
  // What the others will see once the key is gone: this member lost.
  ClusterView after = view;
  after.leader.reset();
  after.last_leader = view.leader ? view.leader : view.last_leader;
  if (!after.last_leader || after.last_leader->name != self) {
    return {false, "does not hold the leader key"};
  }
  for (MemberView& m : after.members) {
    if (m.name == self) m.mysql_reachable = false;
  }
  const Election e = FailoverWinner(after, now_unix_ms, policy);
  if (!e.winner) {
    return {false, "mariadbd does not answer, but no failover could follow (" + e.reason +
                       "): keeping the key while it restarts"};
  }
  return {true,
          fmt::format("{}; releasing the leader key so that {} takes over",
                      server_restarted ? std::string("mariadbd restarted under the primary")
                                       : fmt::format("mariadbd did not answer {} times in a row",
                                                     unreachable_ticks),
                      *e.winner)};
}

}  // namespace mysqlset
