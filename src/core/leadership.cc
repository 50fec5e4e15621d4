#include "core/leadership.h"

#include <algorithm>

#include "core/failover.h"
#include "core/identity.h"
#include "fmt/format.h"

namespace mysqlset {

const char* RoleVerdictName(RoleVerdict v) {
  switch (v) {
    case RoleVerdict::kLead:
      return "lead";
    case RoleVerdict::kCampaign:
      return "campaign";
    case RoleVerdict::kFollow:
      return "follow";
    case RoleVerdict::kFence:
      return "fence";
    case RoleVerdict::kWait:
      return "wait";
  }
  return "unknown";
}

std::chrono::steady_clock::time_point FenceDeadline(std::chrono::steady_clock::time_point sent,
                                                    const LeaseTiming& timing) {
  return sent + timing.ttl - timing.margin;
}

namespace {

// A member its agent found errant holds transactions the leader it followed never had: it
// diverged at some sequence number, and sequence numbers alone (GtidList::Covers) would let
// its longer tail outrank a last leader that wrote fewer, acknowledged, transactions there.
bool IsCandidate(const MemberView& m) {
  return m.has_data && m.mysql_reachable && m.errant_gtids.empty();
}

std::string Names(const std::vector<const MemberView*>& members) {
  std::string out;
  for (const MemberView* m : members) {
    out += fmt::format("{}{} ({})", out.empty() ? "" : ", ", m->name,
                       m->gtid_binlog.empty() ? "no GTID" : m->gtid_binlog.ToString());
  }
  return out;
}

RoleDecision Decision(RoleVerdict v, std::string reason, std::string leader = {}) {
  RoleDecision d;
  d.verdict = v;
  d.leader = std::move(leader);
  d.reason = std::move(reason);
  return d;
}

// Why `name` (read from the store) cannot be followed, or "" when it is a member of this
// member's set. A garbled or foreign name has no address to replicate from.
std::string NotAMember(const std::string& name, const std::string& self) {
  auto me = ParseIdentity(self);
  auto id = ParseIdentity(name);
  if (me.ok() && id.ok() && id->set_name == me->set_name) return "";
  return fmt::format(
      "the leader key names '{}', which is not a member of {}: nobody to follow; fix or "
      "delete that key in the store",
      Printable(name), me.ok() ? me->set_name : "this set");
}

// The store did not answer: keep what the last view said, within the lease's safe time.
RoleDecision WithoutStore(const LeadershipInput& in) {
  const bool writable = in.server.reachable && !in.server.read_only;
  if (in.leader_seen == in.self) {
    if (in.own_lease != 0 && in.before_fence_deadline) {
      return Decision(RoleVerdict::kLead, "store unreachable; the lease is still certainly alive");
    }
    return Decision(RoleVerdict::kFence,
                    "store unreachable past the fence deadline: the lease may have expired");
  }
  if (writable) {
    return Decision(RoleVerdict::kFence, "writable without holding the leader key");
  }
  if (!in.leader_seen.empty()) {
    if (std::string why = NotAMember(in.leader_seen, in.self); !why.empty()) {
      return Decision(RoleVerdict::kWait, "store unreachable; " + why);
    }
    return Decision(RoleVerdict::kFollow, "store unreachable; following the last known leader",
                    in.leader_seen);
  }
  return Decision(RoleVerdict::kWait, "store unreachable and no leader known");
}

}  // namespace

RoleDecision DecideRole(const LeadershipInput& in) {
  if (!in.view) return WithoutStore(in);
  const ClusterView& view = *in.view;
  const bool writable = in.server.reachable && !in.server.read_only;

  if (view.leader && view.leader->name == in.self) {
    if (in.own_lease == 0 || view.leader->lease != in.own_lease) {
      return Decision(RoleVerdict::kFence,
                      fmt::format("the leader key names this member on lease {:x}, not this "
                                  "agent's: waiting for it to expire",
                                  view.leader->lease));
    }
    if (!in.before_fence_deadline) {
      return Decision(RoleVerdict::kFence, "holds the leader key past the fence deadline");
    }
    RoleDecision d = Decision(RoleVerdict::kLead,
                              fmt::format("holds the leader key (epoch {})", view.leader->epoch));
    if (view.switchover_pending && view.switchover_from == in.self) {
      d.switchover = true;
      d.reason = "holds the leader key; a switchover from this member is in progress";
    }
    return d;
  }
  if (view.leader) {
    if (writable) {
      return Decision(RoleVerdict::kFence, fmt::format("writable while {} holds the leader key",
                                                       Printable(view.leader->name)));
    }
    if (std::string why = NotAMember(view.leader->name, in.self); !why.empty()) {
      return Decision(RoleVerdict::kWait, why);
    }
    return Decision(RoleVerdict::kFollow,
                    fmt::format("{} leads (epoch {})", view.leader->name, view.leader->epoch),
                    view.leader->name);
  }
  if (writable) return Decision(RoleVerdict::kFence, "writable while nobody holds the leader key");

  const Election e =
      ElectionWinner(view, in.expected_members, in.now_unix_ms, in.failover_cool_down);
  if (!e.winner) return Decision(RoleVerdict::kWait, "no leader: " + e.reason);
  if (*e.winner != in.self) {
    return Decision(RoleVerdict::kWait, fmt::format("no leader: {} is to take the key", *e.winner));
  }
  if (in.own_lease == 0 || !in.before_fence_deadline) {
    return Decision(RoleVerdict::kWait, "no leader, and this agent has no live lease to take it");
  }
  RoleDecision d = Decision(RoleVerdict::kCampaign, "no leader: " + e.reason);
  d.epoch_reason = e.epoch_reason;
  return d;
}

Election ElectionWinner(const ClusterView& view, uint32_t expected_members, int64_t now_unix_ms,
                        std::chrono::milliseconds failover_cool_down) {
  std::vector<const MemberView*> candidates;
  for (const MemberView& m : view.members) {
    if (IsCandidate(m)) candidates.push_back(&m);
  }
  auto candidate = [&](const std::string& name) {
    return std::any_of(candidates.begin(), candidates.end(),
                       [&](const MemberView* m) { return m->name == name; });
  };
  // Whom the others must wait for: the last leader holds every acknowledged write; on a new
  // cluster the member that bootstrapped holds the only data.
  std::string preferred;
  std::string epoch_reason = kEpochElection;
  if (view.last_leader) {
    preferred = view.last_leader->name;
    if (LastLeaderLost(view)) {
      FailoverPolicy policy;
      policy.cool_down = failover_cool_down;
      return FailoverWinner(view, now_unix_ms, policy);
    }
    if (!candidate(preferred)) {
      return {std::nullopt,
              fmt::format("waiting for the last leader {} to register with its server answering",
                          preferred)};
    }
  } else if (view.initialized_by) {
    preferred = *view.initialized_by;
    epoch_reason = kEpochBootstrap;
    if (!candidate(preferred)) {
      return {std::nullopt,
              fmt::format("waiting for {}, which initialized the cluster, to register with its "
                          "server answering",
                          preferred)};
    }
  } else if (candidates.size() < expected_members) {
    return {std::nullopt, fmt::format("waiting for {} members with data to register (have {}{}{})",
                                      expected_members, candidates.size(),
                                      candidates.empty() ? "" : ": ", Names(candidates))};
  }
  if (candidates.empty()) return {std::nullopt, "no member with data is registered"};

  // The most advanced covers every other; several only when their positions are equal.
  std::vector<const MemberView*> best;
  for (const MemberView* m : candidates) {
    const bool covers_all = std::all_of(candidates.begin(), candidates.end(), [&](auto* o) {
      return m->gtid_binlog.Covers(o->gtid_binlog);
    });
    if (covers_all) best.push_back(m);
  }
  if (best.empty()) {
    return {std::nullopt, fmt::format("the members' GTIDs have diverged, none holds every "
                                      "other's transactions: {}",
                                      Names(candidates))};
  }
  const auto pick = std::find_if(best.begin(), best.end(),
                                 [&](const MemberView* m) { return m->name == preferred; });
  const MemberView* winner =
      pick != best.end() ? *pick
                         : *std::min_element(best.begin(), best.end(), [](auto* a, auto* b) {
                             return a->ordinal < b->ordinal;
                           });
  return {winner->name,
          fmt::format("{} is the most advanced ({})", winner->name,
                      winner->gtid_binlog.empty() ? "no GTID" : winner->gtid_binlog.ToString()),
          epoch_reason};
}

}  // namespace mysqlset
