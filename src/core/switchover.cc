#include "core/switchover.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/errant.h"
#include "core/identity.h"

namespace mysqlset {

const MemberView* FindMemberView(const ClusterView& view, const std::string& name) {
  for (const MemberView& m : view.members) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

namespace {

// Why `m` cannot take over from `primary`, or "" when it can.
std::string Ineligible(const MemberView& m, const MemberView& primary,
                       const SwitchoverPolicy& policy) {
  if (!m.mysql_reachable) return fmt::format("{}'s server does not answer", m.name);
  if (!m.replicating) return fmt::format("{} is not replicating", m.name);
  if (!m.lag_seconds) return fmt::format("{}'s replication lag is unknown", m.name);
  if (*m.lag_seconds > policy.max_lag_seconds) {
    return fmt::format("{} lags {:.0f} s behind the primary (limit {:.0f} s)", m.name,
                       *m.lag_seconds, policy.max_lag_seconds);
  }
  // The member's own check (agent/errant_check.h) read both servers in order; it is exact.
  if (!m.errant_gtids.empty()) {
    return fmt::format("{} holds transactions the primary {} lacks (errant GTIDs: {}); re-clone it",
                       m.name, primary.name, m.errant_gtids.ToString());
  }
  // The two records were published at different instants, so only what cannot be a fresher
  // record counts (core/errant.h). The primary's side checks again, exactly, once read-only
  // (agent/switchover_step.cc).
  // Transactions carrying the primary's own server_id came from it: a candidate ahead of a
  // primary record published before the primary's first writes (right after a switchover)
  // holds them, and is not errant for it.
  const uint64_t primary_server_id = policy.server_id_offset + primary.ordinal;
  const GtidList errant =
      ErrantGtids(m.gtid_binlog, primary.gtid_binlog, GtidReadOrder::kUnordered);
  if (std::any_of(errant.gtids().begin(), errant.gtids().end(),
                  [&](const Gtid& g) { return g.server_id != primary_server_id; })) {
    return fmt::format(
        "{} holds transactions the primary {} lacks (errant GTIDs: {} vs the primary's {}); "
        "re-clone it",
        m.name, primary.name, m.gtid_binlog.ToString(), primary.gtid_binlog.ToString());
  }
  return "";
}

}  // namespace

SwitchoverTarget CheckSwitchoverTarget(const ClusterView& view, const std::string& set_name,
                                       uint32_t members, const std::optional<std::string>& to,
                                       const SwitchoverPolicy& policy) {
  SwitchoverTarget out;
  auto refuse = [&](std::string why) {
    out.candidate.reset();
    out.refusal = "switchover refused: " + std::move(why);
    return out;
  };
  if (!view.leader) return refuse("no member holds the primary role now; try again later");
  out.from = view.leader->name;
  const MemberView* primary = FindMemberView(view, out.from);
  if (!primary) {
    return refuse(fmt::format("the primary {} is not registered in the store", out.from));
  }
  if (to) {
    auto id = ParseIdentity(*to);
    if (!id.ok() || id->set_name != set_name || id->ordinal >= members) {
      return refuse(fmt::format("no member named {} (members: {} to {})", Printable(*to),
                                PodName(set_name, 0), PodName(set_name, members - 1)));
    }
    if (*to == out.from) return refuse(fmt::format("{} is already the primary", *to));
    const MemberView* m = FindMemberView(view, *to);
    if (!m) {
      return refuse(
          fmt::format("{} is not registered (its agent is down or cannot reach the "
                      "store)",
                      *to));
    }
    if (std::string why = Ineligible(*m, *primary, policy); !why.empty()) return refuse(why);
    out.candidate = *to;
    return out;
  }
  const MemberView* best = nullptr;
  std::string first_reason;
  for (const MemberView& m : view.members) {  // sorted by ordinal: ties keep the lowest
    if (m.name == out.from) continue;
    if (std::string why = Ineligible(m, *primary, policy); !why.empty()) {
      if (first_reason.empty()) first_reason = why;
      continue;
    }
    if (!best || m.gtid_binlog.TransactionsBehind(primary->gtid_binlog) <
                     best->gtid_binlog.TransactionsBehind(primary->gtid_binlog)) {
      best = &m;
    }
  }
  if (!best) {
    if (first_reason.empty()) return refuse("there is no replica to switch over to");
    return refuse("no healthy replica to switch over to (" + first_reason + ")");
  }
  out.candidate = best->name;
  return out;
}

const char* SwitchoverStateName(SwitchoverState s) {
  switch (s) {
    case SwitchoverState::kRequested:
      return "requested";
    case SwitchoverState::kReadOnly:
      return "read_only";
    case SwitchoverState::kCaughtUp:
      return "caught_up";
    case SwitchoverState::kHandedOver:
      return "handed_over";
    case SwitchoverState::kDone:
      return "done";
    case SwitchoverState::kFailed:
      return "failed";
  }
  return "?";
}

std::optional<SwitchoverState> ParseSwitchoverState(const std::string& name) {
  for (SwitchoverState s :
       {SwitchoverState::kRequested, SwitchoverState::kReadOnly, SwitchoverState::kCaughtUp,
        SwitchoverState::kHandedOver, SwitchoverState::kDone, SwitchoverState::kFailed}) {
    if (name == SwitchoverStateName(s)) return s;
  }
  return std::nullopt;
}

const char* SwitchoverActionName(SwitchoverAction a) {
  switch (a) {
    case SwitchoverAction::kNone:
      return "none";
    case SwitchoverAction::kGoReadOnly:
      return "go_read_only";
    case SwitchoverAction::kWaitForCandidate:
      return "wait_for_candidate";
    case SwitchoverAction::kHandOver:
      return "hand_over";
    case SwitchoverAction::kMarkDone:
      return "mark_done";
    case SwitchoverAction::kAbort:
      return "abort";
  }
  return "?";
}

SwitchoverStep NextSwitchoverStep(const SwitchoverObservation& o) {
  using A = SwitchoverAction;
  using S = SwitchoverState;
  if (o.state == S::kDone || o.state == S::kFailed) return {A::kNone, ""};
  if (o.state == S::kHandedOver) {
    // The candidate finishes: once it leads and its server is writable.
    if (o.self == o.to && o.self_holds_leader && o.self_writable) return {A::kMarkDone, ""};
    return {A::kNone, ""};
  }
  if (o.self != o.from) return {A::kNone, ""};
  if (!o.self_holds_leader) {
    return {A::kAbort, o.self + " no longer holds the primary role"};
  }
  if (!o.before_fence_deadline) {
    return {A::kAbort, o.self + " could not renew its lease in time"};
  }
  if (o.timed_out) {
    return {A::kAbort, std::string("timed out in state ") + SwitchoverStateName(o.state)};
  }
  if (!o.candidate_registered) return {A::kAbort, "candidate " + o.to + " is no longer registered"};
  if (!o.candidate_reachable) return {A::kAbort, "candidate " + o.to + "'s server does not answer"};
  // SAFETY: a step blocks for up to about a second (read_only=1 behind waiting commits, with
  // lock_wait_timeout=1; the candidate's MASTER_GTID_WAIT), and one tick may take several
  // steps. Blocking calls that ran past the fence deadline let the fence watchdog kill a
  // healthy primary's mariadbd (the nemesis, seed 4 with --faults 2). The next tick, after
  // the lease's renewal, takes the step instead.
  const double margin =
      std::min(kSwitchoverStepMarginSeconds, kSwitchoverStepMarginShare * o.lease_safe_seconds);
  if (o.lease_left_seconds < margin) {
    return {A::kNone, fmt::format("waits for its lease's renewal ({:.1f} s left before the fence "
                                  "deadline, a step needs {:.1f} s)",
                                  o.lease_left_seconds, margin)};
  }
  switch (o.state) {
    case S::kRequested:
      if (o.commits_stuck) {
        return {A::kAbort,
                "commits wait for a semi-sync ack and no sync replica is named yet (`status` "
                "says why): retry once writes flow again"};
      }
      return {A::kGoReadOnly, ""};
    case S::kReadOnly:
      return {A::kWaitForCandidate, ""};
    case S::kCaughtUp:
      return {A::kHandOver, ""};
    default:
      return {A::kNone, ""};
  }
}

}  // namespace mysqlset
